// @chapter 2
// The application contract, modelled on PEP 3333 (WSGI). An application is a function of the request
// (the environ) and a callback to start the response; it returns the body as an iterable of bytes.
import type { InputStream } from './input.ts';

/** Response headers, in order, duplicates allowed (Set-Cookie). */
export type Headers = [name: string, value: string][];

// #region contract
/** Writes one body chunk right away (PEP 3333's imperative write). Await it for backpressure. */
export type Write = (chunk: Uint8Array) => Promise<void>;

/**
 * Sets the status ("200 OK") and headers. Nothing is sent yet: headers go out just before the first
 * body byte. Pass the caught error as `excInfo` to replace them after a failure.
 */
export type StartResponse = (status: string, headers: Headers, excInfo?: unknown) => Write;

/** The body: any iterable of byte chunks, sync or async. If it has close(), the server always calls it. */
export type Body = (Iterable<Uint8Array> | AsyncIterable<Uint8Array>) & { close?: () => void | Promise<void> };

/** The application. It may be async (returning a promise of the body); the body is iterated after. */
export type App = (environ: Environ, startResponse: StartResponse) => Body | Promise<Body>;
// #endregion contract

/** Where an app reports errors (PEP 3333's wsgi.errors): goes to the server's error log. */
export interface ErrorStream {
  write(text: string): void;
  flush(): void;
}

// #region environ
/**
 * The environ: the CGI meta-variables of chapter 1 (all strings) plus the wsgi.* keys, under the very
 * names PEP 3333 uses, so everything written about WSGI maps one to one.
 */
export interface Environ {
  REQUEST_METHOD: string;
  SCRIPT_NAME: string;
  PATH_INFO: string;
  QUERY_STRING: string;
  SERVER_NAME: string;
  SERVER_PORT: string;
  SERVER_PROTOCOL: string;
  CONTENT_TYPE?: string;
  CONTENT_LENGTH?: string;
  /** The request target exactly as sent (path and query, still encoded), as gunicorn provides. */
  RAW_URI: string;
  /** [major, minor] of this contract: [1, 0]. */
  'wsgi.version': [number, number];
  /** "http" or "https". */
  'wsgi.url_scheme': string;
  /** The request body. */
  'wsgi.input': InputStream;
  'wsgi.errors': ErrorStream;
  /** True when other threads of this process may serve requests at the same time. */
  'wsgi.multithread': boolean;
  /** True when other processes serve the same app (more than one worker). */
  'wsgi.multiprocess': boolean;
  /** True when the process serves this one request only (CGI). */
  'wsgi.run_once': boolean;
  /** The body ends where the input stream ends: the server has already applied Content-Length. */
  'wsgi.input_terminated': boolean;
  /** Other CGI variables: HTTP_*, REMOTE_ADDR, GATEWAY_INTERFACE, ... and extensions. */
  [key: string]: unknown;
}
// #endregion environ
