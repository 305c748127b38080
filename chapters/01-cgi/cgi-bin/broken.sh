#!/bin/sh
# Breaks the contract: no header block, and complains on stderr. The client must get 502, the log the why.
echo "this is not a header"
echo "broken.sh: could not open database (this line is on stderr)" >&2
exit 1
