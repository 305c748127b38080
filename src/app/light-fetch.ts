// @chapter 5
// Cheaper Request and Response objects for fetch-style apps served by workers.
//
// Node's Request and Response (undici) are costly to make: about 18 µs for a Request and 15 µs for a
// Response, and as much again to read a Response's headers and body back (chapter 5's benchmark: a
// fetch handler served at a quarter of a WSGI-style app's rate). Most handlers build a Response from a
// string and read little of the Request. So, as @hono/node-server does, a worker serving a fetch app
// replaces the global Response with a class that only keeps its arguments, and hands the handler a
// Request that is built only if the handler touches more than its method, URL and headers. Anything
// else (a stream body, response.clone(), ...) builds the real object on first use and delegates to it.
const NativeResponse = globalThis.Response;
const NativeRequest = globalThis.Request;
const real = Symbol('real');

/** Copies every property of a native prototype as a getter that delegates to the real object. */
function delegate(target: object, native: object, except: Set<string>): void {
  for (const key of Object.getOwnPropertyNames(native)) {
    if (key === 'constructor' || except.has(key)) continue;
    Object.defineProperty(target, key, {
      configurable: true,
      get(this: { [real]: object }) {
        const obj = this[real] as Record<string, unknown>;
        const value = obj[key];
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
      },
    });
  }
}

// #region response
/** Keeps what it was given; becomes a real Response only when something needs one. */
class LightResponse {
  private realized?: Response;

  constructor(
    readonly lightBody: ConstructorParameters<typeof Response>[0] = null,
    readonly lightInit: ResponseInit = {},
  ) {}

  get [real](): Response {
    this.realized ??= new NativeResponse(this.lightBody, this.lightInit);
    return this.realized;
  }

  /** Real Responses (from fetch(), Response.json()...) count as Responses too. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && NativeResponse.prototype.isPrototypeOf(value);
  }

  static json = NativeResponse.json.bind(NativeResponse);
  static error = NativeResponse.error.bind(NativeResponse);
  static redirect = NativeResponse.redirect.bind(NativeResponse);
}
delegate(LightResponse.prototype, NativeResponse.prototype, new Set());
Object.setPrototypeOf(LightResponse.prototype, NativeResponse.prototype);

export function installLightResponse(): void {
  globalThis.Response = LightResponse as unknown as typeof Response;
}

/** The status, headers and body of a LightResponse nobody has looked into, or null (use the real one). */
export function lightParts(response: unknown): { status: number; statusText: string; headers: [string, string][]; body: Buffer } | null {
  if (!(response instanceof LightResponse) || (response as unknown as { realized?: Response }).realized) return null;
  const body = response.lightBody;
  let bytes: Buffer;
  if (body === null) bytes = Buffer.alloc(0);
  else if (typeof body === 'string') bytes = Buffer.from(body);
  else if (body instanceof Uint8Array) bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  else if (body instanceof ArrayBuffer) bytes = Buffer.from(body);
  else return null; // streams, blobs, forms: let undici encode them
  const init = response.lightInit;
  const headers = pairs(init.headers);
  if (typeof body === 'string' && !headers.some(([n]) => n.toLowerCase() === 'content-type')) {
    headers.push(['content-type', 'text/plain;charset=UTF-8']); // what the Fetch standard adds
  }
  return { status: init.status ?? 200, statusText: init.statusText ?? '', headers, body: bytes };
}
// #endregion response

function pairs(init: ResponseInit["headers"]): [string, string][] {
  if (!init) return [];
  if (init instanceof Headers) return [...init];
  if (Array.isArray(init)) return init.map(([n, v]) => [String(n), String(v)]);
  return Object.entries(init).map(([n, v]) => [n, String(v)]);
}

// #region request
/**
 * A Request whose method is ready, whose URL and headers are made on first use, and which becomes a
 * real Request (built by `build`) the first time anything else is asked of it.
 */
export function lazyRequest(method: string, url: () => string, headers: () => Headers, build: (headers: Headers) => Request): Request {
  const lazy = Object.create(LazyRequestProto) as LazyRequest;
  lazy.lazyMethod = method;
  lazy.lazyUrl = url;
  lazy.makeHeaders = headers;
  lazy.build = build;
  return lazy as unknown as Request;
}

interface LazyRequest {
  lazyMethod: string;
  lazyUrl: (() => string) | string;
  makeHeaders: () => Headers;
  build: (headers: Headers) => Request;
  madeHeaders?: Headers;
  realized?: Request;
}

const LazyRequestProto = {
  get [real](): Request {
    const self = this as unknown as LazyRequest;
    // Built with the same Headers object the handler may already hold (and have changed).
    self.realized ??= self.build(self.madeHeaders ?? self.makeHeaders());
    return self.realized;
  },
  get method(): string {
    return (this as unknown as LazyRequest).lazyMethod;
  },
  get url(): string {
    const self = this as unknown as LazyRequest;
    if (typeof self.lazyUrl !== 'string') self.lazyUrl = self.lazyUrl();
    return self.lazyUrl;
  },
  get headers(): Headers {
    const self = this as unknown as LazyRequest;
    self.madeHeaders ??= self.realized ? self.realized.headers : self.makeHeaders();
    return self.madeHeaders;
  },
};
delegate(LazyRequestProto, NativeRequest.prototype, new Set(['method', 'url', 'headers']));
Object.setPrototypeOf(LazyRequestProto, NativeRequest.prototype);
// #endregion request
