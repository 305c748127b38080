#!/bin/sh
# The benchmark's hello world as a shell script: the cheapest process a CGI server can start.
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\nHello, world!\n'
