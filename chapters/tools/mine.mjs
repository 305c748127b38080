// Registers mine-hooks.mjs with the swaps the chapter runner put in PREFORK_MINE (seam URL -> exercise URL).
import { register } from 'node:module';

register('./mine-hooks.mjs', import.meta.url, { data: { swaps: JSON.parse(process.env.PREFORK_MINE ?? '{}') } });
