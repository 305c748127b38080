# The same hello-world page as chapters/02-contract/apps/hello.ts, for gunicorn:
#   gunicorn -w 2 -b 127.0.0.1:PORT hello_wsgi:app     (from this folder)
body = b"Hello, world!\n"


def app(environ, start_response):
    start_response("200 OK", [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
    ])
    return [body]
