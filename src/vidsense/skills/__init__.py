"""Skills: VLM Run's unit of agent know-how, a folder with a ``SKILL.md`` (front matter ``name``
and ``description``, then instructions) and reference files, stored and versioned.

:mod:`vidsense.skills.bundle` reads and checks bundles (zip, base64 zip, or made from a prompt
and a schema); :mod:`vidsense.skills.service` keeps them in the store and resolves the skills a
request names.
"""

from vidsense.skills.bundle import (
    LIMITS,
    Limits,
    SkillBundle,
    from_prompt,
    read_base64,
    read_folder,
    read_zip,
    read_zip_file,
)
from vidsense.skills.service import (
    Skill,
    SkillStore,
    bundle_bytes,
    create_skill,
    get_skill,
    list_skills,
    load_bundle,
    lookup_skill,
    parse_version,
    pin,
    pinned_name,
    resolve,
    unpin,
    update_skill,
)

__all__ = [
    "LIMITS",
    "Limits",
    "Skill",
    "SkillBundle",
    "SkillStore",
    "bundle_bytes",
    "create_skill",
    "from_prompt",
    "get_skill",
    "list_skills",
    "load_bundle",
    "lookup_skill",
    "parse_version",
    "pin",
    "pinned_name",
    "read_base64",
    "read_folder",
    "read_zip",
    "read_zip_file",
    "resolve",
    "unpin",
    "update_skill",
]
