/**
 * Waiting for an outcome, never for a time: a mail handed to Postfix (its queue, then LMTP), a file a
 * server writes, a state a service reaches all come "soon", later on a loaded CI machine than here.
 * `waitFor` asks again until the probe has an answer, and fails saying what never came once the
 * deadline has passed: long, for a slow machine, and costing nothing when the outcome is there.
 */

/** How long an outcome may take before the test fails: far above what it takes on a loaded machine. */
export const OUTCOME_DEADLINE_MS = 60_000;

/**
 * Resolves with the probe's first answer that is neither `undefined`, `null` nor `false`; a probe that
 * throws is asked again (the last error is named if the deadline passes).
 * @example const raw = await waitFor(async () => (await inbox.list('INBOX')).find((m) => m.subject === 'Hi'), 'the mail in the INBOX');
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, { deadlineMs = OUTCOME_DEADLINE_MS, everyMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  for (;;) {
    try {
      const answer = await probe();
      if (answer !== undefined && answer !== null && answer !== false) return answer;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${deadlineMs} ms)${lastError ? `: ${String(lastError)}` : ''}`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
