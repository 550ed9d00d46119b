/**
 * Waiting for an outcome, never for a time: a mail handed to Postfix, a file a server writes, a
 * state a service reaches all arrive "soon", later on a loaded CI machine than here. `eventually`
 * asks again until the probe has an answer, and fails with what was awaited once the deadline (long,
 * for a slow machine; it costs nothing when the outcome comes) has passed.
 */

/** How long an outcome may take before the test fails: far above what it takes on a loaded machine. */
export const OUTCOME_DEADLINE_MS = 60_000;

/**
 * Resolves with the probe's first answer that is neither `undefined`, `null` nor `false`; a probe that
 * throws is asked again (the last error is named if the deadline passes).
 * @example const raw = await eventually(async () => (await inbox.list('INBOX')).find((m) => m.subject === 'Hi'), 'the mail in the INBOX');
 */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, { deadlineMs = OUTCOME_DEADLINE_MS, everyMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  for (;;) {
    try {
      const answer = await probe();
      if (answer !== undefined && answer !== null && answer !== false) return answer;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${deadlineMs} ms${lastError ? `: ${String(lastError)}` : ''}`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
