#!/bin/sh
# The smallest CGI script: headers, an empty line, the body. $$ is this process's pid: a new one each time.
printf 'Content-Type: text/plain; charset=utf-8\r\n'
printf '\r\n'
printf 'Hello from a shell script, process %s.\n' "$$"
