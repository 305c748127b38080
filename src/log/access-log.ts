// @chapter 7
// A worker's access log: the format parsed once, the file opened once (O_APPEND), one write per line.
import { parseAccessFormat } from './access-format.ts';
import { formatAccessLog, type Exchange } from './access.ts';
import { LogFile, type LogPath } from './files.ts';

export type AccessLog = (exchange: Exchange) => void;

// #region create
/**
 * The access logger for `accesslog`, or undefined when it is off (null). If this worker cannot open
 * the file (the master could at start; a rotation may have changed its owner since), it says so in
 * the error log and serves without one, rather than fail to boot and stop the whole server.
 */
export function createAccessLog(path: LogPath | null, format: string, log: { error(message: string): void }): AccessLog | undefined {
  if (path === null) return undefined;
  const parts = parseAccessFormat(format);
  let file: LogFile;
  try {
    file = new LogFile(path, 1); // '-' is stdout, as in gunicorn
  } catch (err) {
    log.error(`Cannot open the access log ${JSON.stringify(path)}: ${(err as Error).message}; this worker writes no access lines`);
    return undefined;
  }
  return (exchange) => file.write(`${formatAccessLog(parts, exchange)}\n`);
}
// #endregion create
