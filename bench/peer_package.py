"""The size of the peer's Lambda package: c7n and its dependencies from the
peer's virtualenv, zipped, without what the Lambda Python runtime already
provides (boto3, botocore, s3transfer) and without pip's own files.

    peer_package.py SITE_PACKAGES_DIR

Prints the zipped size in bytes.
"""

import io
import pathlib
import sys
import zipfile

PROVIDED = ("boto3", "botocore", "s3transfer", "pip", "setuptools", "_distutils_hack", "pkg_resources")

root = pathlib.Path(sys.argv[1])
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        top = rel.parts[0].split("-")[0]
        if path.is_dir() or top in PROVIDED or "__pycache__" in rel.parts or top.endswith(".pth"):
            continue
        z.write(path, rel.as_posix())
print(len(buffer.getvalue()))
