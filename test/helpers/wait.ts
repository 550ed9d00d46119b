/**
 * Waiting for an outcome, never for a time: polls `probe` until it finds something (Postfix delivers
 * asynchronously, through its queue and LMTP), and says what never came.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, seconds = 45): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
