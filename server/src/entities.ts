// Every entity of every context, for the DataSource (each context owns its tables).
import { Agent, AgentSkill, AgentStateChange } from './modules/agents/agent.entity.js';
import { Callback } from './modules/callbacks/callback.entity.js';
import { CallbackAttempt } from './modules/callbacks/attempt.entity.js';
import { Call, CallLeg } from './modules/calls/call.entity.js';
import { Attachment, Message } from './modules/chat/message.entity.js';
import { Contact } from './modules/contacts/contact.entity.js';
import { CsatRating } from './modules/feedback/csat-rating.entity.js';
import { Interaction, Offer } from './modules/interactions/interaction.entity.js';
import { InteractionEvent } from './modules/journey/event.entity.js';
import { MailThread } from './modules/mail/mail-thread.entity.js';
import { OutgoingMail } from './modules/mail/outgoing-mail.entity.js';
import { IncomingMail } from './modules/mail/incoming-mail.entity.js';
import { QueueRecord, ReasonRecord, SkillRecord, TrunkRecord } from './modules/queues/queue.entity.js';
import { WebsiteRecord } from './modules/websites/website.entity.js';
import { ReportAgentHour, ReportBucket, ReportCallbackHour, ReportDay, ReportDayTime, ReportBucketTime, ReportHour, ReportWatermark } from './modules/reports/bucket.entity.js';

export const entities = [
  Agent, AgentSkill, AgentStateChange, Callback, CallbackAttempt, Call, CallLeg, Attachment, Message, Contact,
  Interaction, Offer, InteractionEvent, MailThread, OutgoingMail, IncomingMail, QueueRecord, ReasonRecord, SkillRecord, TrunkRecord,
  WebsiteRecord, CsatRating, ReportBucket, ReportBucketTime, ReportHour, ReportWatermark, ReportAgentHour, ReportCallbackHour, ReportDay, ReportDayTime,
];
