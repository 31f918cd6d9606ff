import type { DataSource } from 'typeorm';
import type { AgentExtension, AuthIdentity, CallRouter, IncomingRequest, WidgetRoute } from '@switchboard/sip';
import type { Config } from '../../kernel/config/schema.js';
import { Interaction } from '../interactions/index.js';
import { Contact } from '../contacts/index.js';
import { Agent } from '../agents/index.js';
import { Call } from './call.entity.js';

/** Where browser calls go: a widget call to its queue's PBX number, an agent's to their extension. */
export class SwitchboardCallRouter implements CallRouter {
  constructor(private readonly db: DataSource, private readonly config: () => Config) {}

  async routeWidgetCall(identity: Extract<AuthIdentity, { kind: 'call-token' }>, _req: IncomingRequest): Promise<WidgetRoute | undefined> {
    const interaction = await this.db.getRepository(Interaction).findOneBy({ id: identity.interactionId });
    if (!interaction || interaction.state === 'closed' || !['phone', 'video'].includes(interaction.channel)) return undefined;
    // One call per interaction: a token replayed after the call cannot open a second one.
    if (await this.db.getRepository(Call).existsBy({ interactionId: interaction.id })) return undefined;
    const queue = this.config().queues.find((q) => q.id === interaction.queueId);
    if (!queue?.destination) return undefined;
    const contact = interaction.contactId ? await this.db.getRepository(Contact).findOneBy({ id: interaction.contactId }) : null;
    return {
      destination: queue.destination.number,
      context: {
        interactionId: interaction.id,
        ...(interaction.websiteId ? { website: interaction.websiteId } : {}),
        ...(contact?.name ? { name: contact.name } : {}),
        ...(contact?.email ? { email: contact.email } : {}),
        ...(contact?.phone ? { phone: contact.phone } : {}),
        ...(interaction.queueId ? { queue: interaction.queueId } : {}),
        fields: interaction.routingVariables,
      },
    };
  }

  async agentExtension(agentId: string): Promise<AgentExtension | undefined> {
    const agent = await this.db.getRepository(Agent).findOneBy({ id: agentId, active: true });
    if (!agent?.extension) return undefined;
    return { extension: agent.extension, displayName: agent.displayName };
  }

  async agentOfExtension(extension: string): Promise<string | undefined> {
    return (await this.db.getRepository(Agent).findOneBy({ extension, active: true }))?.id;
  }
}
