#!/bin/sh
# A local redirect: a Location that is a path, alone. The gateway serves that path instead;
# the client gets hello.sh's page and never sees a 302.
printf 'Location: /cgi-bin/hello.sh\n\n'
