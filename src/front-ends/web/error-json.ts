/**
 * An error answer of the web API: `{ error: { code, message } }` with the HTTP status the error
 * table (src/errors.ts) gives the code — the one place statuses come from.
 */
import type { Context } from 'hono';
import { httpStatusFor, type CachetErrorCode } from '../../errors.js';

export function errorJson(c: Context, code: CachetErrorCode, message: string): Response {
  return c.json({ error: { code, message } }, httpStatusFor(code));
}
