#!/usr/bin/env python3
# Shows the environment the gateway built: the CGI meta-variables, and nothing else.
import os

print("Content-Type: text/plain; charset=utf-8")
print()
print(f"Hello from Python, process {os.getpid()}. My environment:")
for name in sorted(os.environ):
    print(f"  {name}={os.environ[name]}")
