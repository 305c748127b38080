// Chapter 1's server: node:http in front, the CGI gateway behind it.
import { BodyTooLarge, listen, readRequest, writeResponse, type RunningServer } from '../front/node-http.ts';
import { gatewayDefaults, handleCgi, plain, type GatewayOptions } from './gateway.ts';

export interface CgiServerOptions extends Partial<GatewayOptions> {
  scriptsDir: string;
  host?: string;
  port?: number;
  /** Largest request body accepted; larger gets 413. */
  maxBody?: number;
}

export const SERVER_SOFTWARE = 'prefork-workbook/0.1';

export function startCgiServer(opts: CgiServerOptions): Promise<RunningServer> {
  const gateway: GatewayOptions = {
    ...gatewayDefaults,
    serverSoftware: SERVER_SOFTWARE,
    log: (line) => console.error(`[cgi] ${line}`),
    ...opts,
  };
  const maxBody = opts.maxBody ?? 1 << 20;
  return listen(
    (req, res) => {
      readRequest(req, maxBody)
        .then((incoming) => handleCgi(incoming, gateway))
        .catch((err: unknown) => {
          if (err instanceof BodyTooLarge) return plain(413, 'Content Too Large');
          gateway.log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          return plain(500, 'Internal Server Error');
        })
        .then((out) => writeResponse(res, out));
    },
    opts.host ?? '127.0.0.1',
    opts.port ?? 0,
  );
}
