// GET /api/v1/live: the websocket. A browser cannot set headers on a websocket, so the API
// token comes as the first message ({type:'auth', token}); a script may instead send the
// usual Authorization header with the upgrade request. Tokens never go in the URL (URLs
// end up in logs) and are never logged.
//
// A connection refused as unauthenticated (wrong token, none in time, a command before
// auth) counts as a failed authentication of its address, as on the REST API
// (http/auth-limits.ts); past the limit the error says too_many_failures with the seconds
// to wait, and the socket is closed with 1008 (policy violation) instead of 4401.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { ApiPrincipal } from '../http/auth.js';
import { recordAuthFailure } from '../http/auth-limits.js';
import { bearerCredential, secretMatches } from '../security/tokens.js';
import type { Store } from '../store/types.js';
import type { Logger } from 'pino';
import type { CollectorEvents } from '../events.js';
import { LiveFeed, type ConnectionHandle, type LiveOptions } from './feed.js';
import { LiveClient } from './hub.js';
import {
  CLOSE,
  ProtocolError,
  parseClientMessage,
  type ClientMessage,
  type LiveEvent,
} from './protocol.js';

/** Frames larger than this from a client are refused (a client sends only small commands). */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;
const MAX_QUEUED_MESSAGES = 100;

async function verifyToken(store: Store, header: string): Promise<ApiPrincipal | null> {
  const presented = bearerCredential(header);
  if (!presented) return null;
  const token = await store.access.findApiToken(presented.id);
  if (!secretMatches(presented.secret, token?.secretHash ?? null) || !token || token.revokedAt) {
    return null;
  }
  return { tokenId: token.id, role: token.role, tenantId: token.tenantId };
}

class LiveConnection implements ConnectionHandle {
  private client: LiveClient | null = null;
  private alive = true;
  private authenticating = false;
  private inbox: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly authTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly feed: LiveFeed,
    private readonly store: Store,
    private readonly request: FastifyRequest,
  ) {
    this.authTimer = setTimeout(
      () => this.refuse('authentication timed out: send {"type":"auth","token":"..."} first'),
      feed.options.authTimeoutSeconds * 1000,
    );
    feed.connections.add(this);
    // One message at a time, in order: a client may send auth and subscribe at once,
    // and the subscribe must wait for the token check. A client that piles up more
    // than MAX_QUEUED_MESSAGES unanswered messages is cut.
    socket.on('message', (data, isBinary) => {
      if (++this.queued > MAX_QUEUED_MESSAGES) {
        this.socket.close(CLOSE.flooding, 'too many messages waiting');
        return;
      }
      const text = isBinary ? null : data.toString();
      this.inbox = this.inbox
        .then(() => this.receive(text))
        .catch((error: unknown) => this.request.log.error({ err: error }, 'live: message failed'))
        .finally(() => this.queued--);
    });
    socket.on('pong', () => (this.alive = true));
    socket.on('close', () => this.closed());
    socket.on('error', () => this.closed());
    const header = request.headers.authorization;
    if (header !== undefined) void this.authenticate(header);
  }

  private closed(): void {
    clearTimeout(this.authTimer);
    this.feed.connections.delete(this);
    if (this.client) this.feed.hub.remove(this.client);
  }

  /** Sends a control message: queued behind the client's events once it is authenticated. */
  private say(message: object): void {
    if (this.client) this.feed.hub.sendTo(this.client, message);
    else if (this.socket.readyState === this.socket.OPEN)
      this.socket.send(JSON.stringify([message]));
  }

  private refuse(message: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return; // gone: nothing was refused
    const verdict = recordAuthFailure(this.request, 'live');
    if (verdict.limited) {
      this.say({
        type: 'error',
        error: 'too_many_failures',
        message:
          'too many failed authentications from this address; check the token and retry later',
        retryAfterSeconds: verdict.retryAfterSeconds,
      });
      this.socket.close(CLOSE.tooManyFailures, 'too many failed authentications');
      return;
    }
    this.say({ type: 'error', error: 'unauthenticated', message });
    this.socket.close(CLOSE.unauthenticated, 'unauthenticated');
  }

  /** The collector is stopping: say so, and do not wait on a client that does not answer. */
  shutdown(): void {
    this.socket.close(CLOSE.goingAway, 'collector shutting down: reconnect and resume with since');
    setTimeout(() => this.socket.terminate(), 1000).unref();
  }

  heartbeat(): void {
    if (!this.alive) {
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  private async authenticate(header: string): Promise<void> {
    this.authenticating = true;
    let principal: ApiPrincipal | null;
    try {
      principal = await verifyToken(this.store, header);
    } catch (error) {
      this.request.log.error({ err: error }, 'live: token check failed');
      this.say({ type: 'error', error: 'unavailable', message: 'storage unavailable, retry' });
      this.socket.close(1011, 'storage unavailable');
      return;
    }
    if (!principal) {
      this.refuse('the API token is unknown, revoked or wrong');
      return;
    }
    clearTimeout(this.authTimer);
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.client = new LiveClient(this.socket, principal.tenantId, principal.tokenId);
    this.feed.hub.add(this.client);
    this.say({
      type: 'hello',
      lastId: this.feed.hub.lastId,
      tenant: principal.tenantId,
      heartbeatSeconds: this.feed.options.heartbeatSeconds,
      resumeSeconds: this.feed.options.resumeSeconds,
    });
  }

  private async receive(text: string | null): Promise<void> {
    let message: ClientMessage;
    try {
      if (text === null) throw new ProtocolError('invalid_json', 'send text frames of JSON');
      message = parseClientMessage(text);
    } catch (error) {
      const { code, message: why } = error as ProtocolError;
      this.say({ type: 'error', error: code, message: why });
      return;
    }
    if (message.type === 'auth') {
      if (this.client || this.authenticating) {
        this.say({ type: 'error', error: 'already_authenticated', message: 'send auth once' });
        return;
      }
      await this.authenticate(`Bearer ${message.token}`);
      return;
    }
    if (!this.client) {
      this.refuse('send {"type":"auth","token":"..."} before anything else');
      return;
    }
    try {
      await this.command(this.client, message);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.say({ type: 'error', error: error.code, message: error.message });
      } else {
        this.request.log.error({ err: error }, 'live: command failed');
        this.say({ type: 'error', error: 'unavailable', message: 'storage unavailable, retry' });
      }
    }
  }

  private async command(client: LiveClient, message: ClientMessage): Promise<void> {
    const hub = this.feed.hub;
    switch (message.type) {
      case 'ping':
        hub.sendTo(client, { type: 'pong', at: new Date().toISOString(), lastId: hub.lastId });
        return;
      case 'subscribe': {
        const target = await this.resolve(client, message);
        if (target.kind === 'all') client.allTenants = true;
        else if (target.kind === 'tenant') client.tenants.add(target.id);
        else client.hosts.add(target.id);
        const covers = (event: LiveEvent) =>
          target.kind === 'all' ||
          (target.kind === 'tenant' ? event.tenant === target.id : event.host === target.id);
        const resumed = hub.resume(client, message.since, covers);
        const filter =
          target.kind === 'host'
            ? { tenantId: client.scope, hostId: target.id }
            : { tenantId: target.kind === 'tenant' ? target.id : client.scope };
        hub.sendTo(client, {
          type: 'subscribed',
          ...(target.kind === 'tenant' ? { tenant: target.id } : {}),
          ...(target.kind === 'host' ? { host: target.id } : {}),
          lastId: hub.lastId,
          online: this.feed.presence.online(filter),
        });
        if (!resumed) {
          hub.sendTo(client, {
            type: 'resume_gap',
            since: message.since,
            lastId: hub.lastId,
            message: 'events after since are no longer kept: reload the state over the REST API',
          });
        }
        return;
      }
      case 'unsubscribe':
        if (message.tenant === undefined && message.host === undefined) {
          client.allTenants = false;
          client.tenants.clear();
          client.hosts.clear();
        } else {
          if (message.tenant !== undefined) {
            const tenant = await this.store.tenants.getTenant(message.tenant);
            if (tenant) client.tenants.delete(tenant.id);
          }
          if (message.host !== undefined) client.hosts.delete(message.host);
        }
        hub.sendTo(client, { type: 'unsubscribed', lastId: hub.lastId });
        return;
    }
  }

  /** What a subscribe names, checked against the token's tenant. */
  private async resolve(
    client: LiveClient,
    message: { tenant?: string; host?: string },
  ): Promise<{ kind: 'all' } | { kind: 'tenant' | 'host'; id: string }> {
    if (message.tenant !== undefined) {
      const tenant = await this.store.tenants.getTenant(message.tenant);
      if (!tenant) throw new ProtocolError('not_found', `no tenant ${message.tenant}`);
      if (client.scope !== null && tenant.id !== client.scope) {
        throw new ProtocolError('forbidden', 'this token is scoped to another tenant');
      }
      return { kind: 'tenant', id: tenant.id };
    }
    if (message.host !== undefined) {
      // Presence knows every host's tenant without a database read; a host it has not
      // seen yet (start-up still reading) is looked up once.
      const tenantId =
        this.feed.presence.get(message.host)?.tenantId ??
        (await this.store.hosts.getHost(message.host))?.tenantId;
      // Another tenant's host is "not found", as in the REST API: no probing of ids.
      if (tenantId === undefined || (client.scope !== null && tenantId !== client.scope)) {
        throw new ProtocolError('not_found', `no host ${message.host}`);
      }
      return { kind: 'host', id: message.host };
    }
    return client.scope === null ? { kind: 'all' } : { kind: 'tenant', id: client.scope };
  }
}

export const liveRoutes =
  (deps: {
    store: Store;
    events: CollectorEvents;
    logger: Logger;
    options?: Partial<LiveOptions>;
  }): FastifyPluginAsync =>
  async (app) => {
    const feed = new LiveFeed(deps.events, deps.store, deps.logger, deps.options);
    app.addHook('onReady', () => feed.start());
    app.addHook('preClose', async () => {
      for (const connection of feed.connections) connection.shutdown();
    });
    app.addHook('onClose', async () => feed.stop());
    app.route({
      method: 'GET',
      url: '/live',
      handler: async (_request, reply) =>
        reply.code(426).header('upgrade', 'websocket').send({
          error: 'upgrade_required',
          message: 'the live feed is a websocket: connect with ws:// or wss://',
        }),
      wsHandler: (socket, request) => {
        new LiveConnection(socket, feed, deps.store, request);
      },
    });
  };
