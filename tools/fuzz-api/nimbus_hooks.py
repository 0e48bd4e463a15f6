"""Schemathesis hooks for Nimbus: tus chunks are raw bytes of our own media type,
which schemathesis cannot generate by itself."""
from hypothesis import strategies as st

import schemathesis

schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=4096))
