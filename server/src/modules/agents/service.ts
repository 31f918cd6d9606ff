import { In, type DataSource } from 'typeorm';
import { newId } from '../../kernel/db/ids.js';
import { EntityRows } from '../../kernel/db/rows.js';
import { execute } from '../../kernel/db/statements.js';
import { DEFAULT_CAPACITY, type Config } from '../../kernel/config/schema.js';
import { HttpError, badRequest, conflict, notFound } from '../../kernel/http/errors.js';
import { Agent, AgentSkill } from './agent.entity.js';
import { decoyHash, hashPassword, verifyPassword } from './password.js';
import type { CreateAgentInput, UpdateAgentInput } from './schema.js';
import type { SessionStore } from './sessions.js';
import type { EventBus } from '../../kernel/bus.js';

/** Why every session of an agent ended. */
export type SessionsEndReason = 'logout' | 'forced-logout' | 'deactivated' | 'password-changed' | 'role-changed';

/**
 * What whoever routes work to agents must hear at once, in this process and before the request
 * answers: an agent without sessions has left and hands over their work; new skills or capacity
 * count at once for a logged-in agent.
 */
export interface AgentFollower {
  sessionsEnded(agentId: string, why: SessionsEndReason): Promise<void>;
  profileChanged(agentId: string): Promise<void>;
}

export class AgentService {
  private follower: AgentFollower | undefined;
  /** Made once, at the first login of an unknown username. */
  private decoy: Promise<string> | undefined;
  private byId: { rows: EntityRows<Agent>; sql: string } | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly sessions: SessionStore,
    private readonly bus: EventBus,
    private readonly config: () => Config,
  ) {}

  /** Routing follows the agents it routes to (it is built after them, as it needs them). */
  follow(follower: AgentFollower): void {
    if (this.follower) throw new Error('agents already have a follower');
    this.follower = follower;
  }

  private get repo() {
    return this.db.getRepository(Agent);
  }

  private checkPassword(password: string): void {
    const min = this.config().main.security.passwordMinLength;
    if (password.length < min) throw badRequest(`The password must be at least ${min} characters.`, [{ field: 'password', problem: `must be at least ${min} characters` }]);
  }

  private checkSkills(skills: { skill: string }[]): void {
    const known = new Set(this.config().skills.map((s) => s.id));
    const fields = skills.flatMap((s, i) => (known.has(s.skill) ? [] : [{ field: `skills.${i}.skill`, problem: `unknown skill "${s.skill}"` }]));
    if (fields.length) throw badRequest('Unknown skill.', fields);
  }

  async create(input: CreateAgentInput, bootstrapped = false): Promise<Agent> {
    this.checkPassword(input.password);
    this.checkSkills(input.skills);
    if (await this.repo.existsBy({ username: input.username })) throw conflict(`The username "${input.username}" is taken.`);
    if (input.extension) await this.checkExtensionFree(input.extension, null);
    const agent = this.repo.create({
      id: newId(),
      username: input.username,
      displayName: input.name,
      email: input.email ?? null,
      role: input.role,
      passwordHash: await hashPassword(input.password),
      extension: input.extension ?? null,
      capacity: input.capacity ?? DEFAULT_CAPACITY,
      active: true,
      bootstrapped,
      lastLoginAt: null,
    });
    await this.db.transaction(async (m) => {
      await m.getRepository(Agent).insert(agent);
      if (input.skills.length) await m.getRepository(AgentSkill).insert(input.skills.map((s) => ({ agentId: agent.id, skillId: s.skill, level: s.level })));
    });
    return this.repo.findOneByOrFail({ id: agent.id });
  }

  async update(id: string, input: UpdateAgentInput): Promise<Agent> {
    const agent = await this.get(id);
    if (input.skills) this.checkSkills(input.skills);
    let revoke: SessionsEndReason | null = null;
    if (input.password !== undefined) {
      this.checkPassword(input.password);
      agent.passwordHash = await hashPassword(input.password);
      revoke = 'password-changed';
    }
    if (input.role !== undefined && input.role !== agent.role) revoke = 'role-changed';
    if (input.active === false) revoke = 'deactivated';
    if (input.name !== undefined) agent.displayName = input.name;
    if (input.email !== undefined) agent.email = input.email;
    if (input.role !== undefined) agent.role = input.role;
    if (input.extension) await this.checkExtensionFree(input.extension, id);
    if (input.extension !== undefined) agent.extension = input.extension;
    if (input.capacity !== undefined) agent.capacity = input.capacity;
    if (input.active !== undefined) agent.active = input.active;
    if (revoke) agent.sessionVersion += 1;
    await this.db.transaction(async (m) => {
      await m.getRepository(Agent).save(agent);
      if (input.skills) {
        await m.getRepository(AgentSkill).delete({ agentId: id });
        if (input.skills.length) await m.getRepository(AgentSkill).insert(input.skills.map((s) => ({ agentId: id, skillId: s.skill, level: s.level })));
      }
    });
    if (revoke) await this.revokeSessions(id, revoke);
    if (input.skills || input.capacity) await this.follower?.profileChanged(id);
    return this.get(id);
  }

  /** One extension rings one agent: the PBX and the registrar know an extension, not a person. */
  private async checkExtensionFree(extension: string, self: string | null): Promise<void> {
    const holder = await this.repo.findOneBy({ extension, active: true });
    if (holder && holder.id !== self) throw new HttpError(409, 'conflict', `Extension ${extension} belongs to ${holder.username}.`, [{ field: 'extension', problem: `already used by ${holder.username}` }]);
  }

  /** Read for every callback dialled: as SQL of our own, a prepared statement (kernel/db/rows.ts). */
  async get(id: string): Promise<Agent> {
    this.byId ??= (() => {
      const rows = new EntityRows(this.db, Agent, 'a');
      return { rows, sql: `SELECT ${rows.select} FROM agents a WHERE a.id = ? LIMIT 1` };
    })();
    const [row] = await execute<Record<string, unknown>[]>(this.db, this.byId.sql, [id]);
    const agent = row && this.byId.rows.from(row);
    if (!agent) throw notFound('Agent');
    return agent;
  }

  async list(): Promise<Agent[]> {
    return this.repo.find({ order: { username: 'ASC' } });
  }

  /** Display names by agent id (for lists that show other agents by name only). */
  async names(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await this.repo.find({ where: { id: In(ids) }, select: { id: true, displayName: true } });
    return new Map(rows.map((r) => [r.id, r.displayName]));
  }

  async skillsOf(ids: string[]): Promise<Map<string, AgentSkill[]>> {
    const map = new Map<string, AgentSkill[]>();
    if (!ids.length) return map;
    const rows = await this.db.getRepository(AgentSkill).createQueryBuilder('s').where('s.agentId IN (:...ids)', { ids }).getMany();
    for (const r of rows) map.set(r.agentId, [...(map.get(r.agentId) ?? []), r]);
    return map;
  }

  /** Returns the agent when the credentials are right; the same time is spent either way. */
  async verifyCredentials(username: string, password: string): Promise<Agent | null> {
    const agent = await this.repo.findOneBy({ username });
    const ok = await verifyPassword(password, agent?.passwordHash ?? (await (this.decoy ??= decoyHash())));
    if (!agent || !ok || !agent.active) return null;
    await this.repo.update({ id: agent.id }, { lastLoginAt: new Date() });
    return agent;
  }

  async changePassword(id: string, current: string, next: string): Promise<void> {
    const agent = await this.get(id);
    if (!(await verifyPassword(current, agent.passwordHash))) throw badRequest('The current password is wrong.', [{ field: 'currentPassword', problem: 'is wrong' }]);
    await this.update(id, { password: next });
  }

  /** Logout-everywhere: sessions end in Redis and every instance closes the agent's sockets. */
  async revokeSessions(id: string, why: SessionsEndReason = 'logout'): Promise<void> {
    await this.sessions.revokeAll(id);
    await this.bus.publish({ type: 'agent.sessions-revoked', agentId: id });
    await this.follower?.sessionsEnded(id, why);
  }

  /** Whether any session of the agent is still alive (sessions expire silently in Redis). */
  hasSession(id: string): Promise<boolean> {
    return this.sessions.anyAlive(id);
  }

  /** Those of these agents with a session still alive (see hasSession). */
  withSession(ids: string[]): Promise<Set<string>> {
    return this.sessions.withAnyAlive(ids);
  }

  /** Creates the agents of agents.yaml that do not exist yet; existing ones are left untouched. */
  async bootstrap(): Promise<string[]> {
    const created: string[] = [];
    for (const a of this.config().agents) {
      if (await this.repo.existsBy({ username: a.username })) continue;
      await this.create({ ...a, email: a.email, extension: a.extension }, true);
      created.push(a.username);
    }
    return created;
  }
}
