/**
 * The server benchmark's simulated users: each speaks the web client's JSON API over HTTPS as the
 * browser does (a session cookie, the CSRF token on every change, the instance's Origin), over
 * keep-alive connections of its own to each instance. Which instance answers a request is the round
 * robin's choice, request by request, so a session begun on one instance is resumed on another.
 */
import { Agent, request } from 'node:https';

export interface Instance {
  url: string;
}

/** The trivial load balancer: every request to the next instance in turn, whoever sends it. */
export class RoundRobin {
  private next = 0;
  constructor(readonly instances: readonly Instance[]) {}

  pick(): Instance {
    return this.instances[this.next++ % this.instances.length]!;
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request's failure, with what the server said: the benchmark counts it and shows the first one. */
export class RequestFailed extends Error {}

export interface MessageSummary {
  id: string;
  from: string;
  subject: string;
  encrypted: boolean;
  signed: boolean;
}

export class BenchUser {
  private readonly agents = new Map<string, Agent>();
  private cookie: string | undefined;
  private csrfToken: string | undefined;

  constructor(
    readonly address: string,
    private readonly password: string,
    /** Where this user's requests go; each run of the benchmark sets its own. */
    public balancer: RoundRobin,
    private readonly ca: string,
  ) {}

  private agent(url: string): Agent {
    let agent = this.agents.get(url);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: 4, ca: this.ca });
      this.agents.set(url, agent);
    }
    return agent;
  }

  private async call(method: string, path: string, body?: { type: string; data: Buffer }): Promise<Answer> {
    const { url } = this.balancer.pick();
    const headers: Record<string, string> = { origin: url };
    if (this.cookie) headers['cookie'] = this.cookie;
    if (this.csrfToken && method !== 'GET') headers['x-csrf-token'] = this.csrfToken;
    if (body) Object.assign(headers, { 'content-type': body.type, 'content-length': String(body.data.length) });
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.exchange(`${url}${path}`, method, headers, body?.data);
      } catch (error) {
        // A kept-alive connection the server closed (its idle timeout) just as the request left on it:
        // nothing was answered, and a browser sends the request again on a new connection, as here
        // (Node's documentation of `request.reusedSocket` shows this retry).
        if (attempt === 1 && (error as { reusedSocket?: boolean }).reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET') continue;
        throw new RequestFailed(`${this.address}: ${method} ${path} on ${url}: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  private exchange(url: string, method: string, headers: Record<string, string>, data: Buffer | undefined): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.agent(new URL(url).origin) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
      req.end(data);
    });
  }

  private async json<T>(method: string, path: string, body?: { type: string; data: Buffer }): Promise<T> {
    const answer = await this.call(method, path, body);
    if (answer.status !== 200) throw new RequestFailed(`${this.address}: ${method} ${path}: ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`);
    return JSON.parse(answer.body.toString('utf8')) as T;
  }

  private postJson<T>(path: string, value: unknown): Promise<T> {
    return this.json<T>('POST', path, { type: 'application/json', data: Buffer.from(JSON.stringify(value)) });
  }

  async signIn(): Promise<void> {
    this.cookie = undefined;
    this.csrfToken = undefined;
    const answer = await this.call('POST', '/api/login', { type: 'application/json', data: Buffer.from(JSON.stringify({ user: this.address, password: this.password })) });
    if (answer.status !== 200) throw new RequestFailed(`${this.address}: sign-in: ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`);
    const setCookie = answer.headers['set-cookie'];
    this.cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0];
    this.csrfToken = (JSON.parse(answer.body.toString('utf8')) as { csrfToken: string }).csrfToken;
    if (!this.cookie || !this.csrfToken) throw new RequestFailed(`${this.address}: sign-in gave no session cookie or CSRF token`);
  }

  /** Signs out, when signed in (a failed sign-in leaves nothing to end). */
  async signOut(): Promise<void> {
    if (!this.cookie) return;
    await this.postJson('/api/logout', {});
    this.cookie = undefined;
    this.csrfToken = undefined;
  }

  listInbox(): Promise<MessageSummary[]> {
    return this.json<MessageSummary[]>('GET', '/api/folders/INBOX/messages');
  }

  /** Opens a message as the message view does: the server decrypts and verifies it. */
  async open(id: string): Promise<{ status: string; encrypted: boolean }> {
    return this.json('GET', `/api/folders/INBOX/messages/${encodeURIComponent(id)}`);
  }

  /** Imports every PKCS#12 file of a mail (the administrator's distribution mail) into the user's keys. */
  async importFromMail(id: string, pfxPassword: string): Promise<Array<{ kind: string }>> {
    return (await this.postJson<{ results: Array<{ kind: string }> }>('/api/certificates/import-from-mail', { folder: 'INBOX', id, password: pfxPassword })).results;
  }

  async send(to: string, subject: string, text: string, protection: { sign: boolean; encrypt: boolean }): Promise<{ kind: string; signed?: boolean; encrypted?: boolean }> {
    const form = new FormData();
    form.set('to', to);
    form.set('subject', subject);
    form.set('body', text);
    form.set('sign', String(protection.sign));
    form.set('encrypt', String(protection.encrypt));
    // The multipart body as a browser would send it, encoded by the platform's own FormData.
    const encoded = new Response(form);
    const data = Buffer.from(await encoded.arrayBuffer());
    return this.json('POST', '/api/send', { type: encoded.headers.get('content-type')!, data });
  }

  async delete(id: string): Promise<void> {
    await this.postJson(`/api/folders/INBOX/messages/${encodeURIComponent(id)}/delete`, {});
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}
