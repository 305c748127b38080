#!/bin/sh
# Never finishes in time: the gateway kills it (and the sleep it started) and answers 504.
sleep 30
printf 'Content-Type: text/plain\n\nfinally\n'
