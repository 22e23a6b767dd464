"""Skills: VLM Run's unit of agent know-how, a folder with a ``SKILL.md`` (front matter ``name``
and ``description``, then instructions) and reference files, stored and versioned.

:mod:`vidsense.skills.bundle` reads and checks bundles (zip, base64 zip, or made from a prompt
and a schema); :mod:`vidsense.skills.service` keeps them in the store and resolves the skills a
request names.
"""

from vidsense.skills.bundle import LIMITS, Limits, SkillBundle, from_prompt, read_base64, read_zip
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
    "read_base64",
    "read_zip",
    "resolve",
    "unpin",
    "update_skill",
]
