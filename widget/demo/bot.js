/* global document, window */
// A site's own bot, as small as possible: two answers it knows, and a hand-over to a live agent
// that happens only when the widget says an agent can take a chat right now.
const log = document.getElementById('bot-log');
const status = document.getElementById('bot-status');
const form = document.getElementById('bot-form');
const input = document.getElementById('bot-input');
let chat = { available: false, open: false };

function say(who, text) {
  const li = document.createElement('li');
  li.className = who;
  li.textContent = `${who === 'you' ? 'You' : 'Bot'}: ${text}`;
  log.append(li);
}

function answer(q) {
  const text = q.toLowerCase();
  if (/hour|open|orari|horaire/.test(text)) return say('bot', 'We are open Monday to Friday, 8:30–13:00 and 14:00–18:00.');
  if (/ship|deliver|spedizion|livraison/.test(text)) return say('bot', 'Orders ship within 24 hours; delivery takes 2–3 working days.');
  if (/person|human|agent|operator/.test(text)) return handOver(q);
  say('bot', 'I can tell you our opening hours or about shipping, or put you through to a person.');
}

async function handOver(q) {
  const now = await window.Switchboard.getAvailability('chat');
  if (!now || !now.available) {
    const when = now && now.nextOpening ? ` We open again ${new Date(now.nextOpening).toLocaleString()}.` : '';
    return say('bot', `Nobody can take a chat right now.${when} You can leave us a message from the chat button.`);
  }
  say('bot', 'An agent is available: I am opening the chat for you.');
  window.Switchboard.startChat({ name: 'Demo Visitor', email: 'demo@example.com', fields: { privacy: true }, message: q }).catch(() => window.Switchboard.open());
}

function ready() {
  const sb = window.Switchboard;
  sb.on('availability', (a) => {
    chat = a.channels.chat || { available: false, open: false };
    status.textContent = chat.available ? 'An agent is available now.' : chat.open ? 'All agents are busy.' : 'We are closed right now.';
    status.dataset.available = String(chat.available);
  });
  sb.on('chat.started', (e) => say('bot', `Chat started (${e.outcome}).`));
  sb.on('agent.joined', (e) => say('bot', `${e.name || 'An agent'} joined the chat.`));
  sb.on('chat.ended', () => say('bot', 'The chat has ended. Anything else?'));
}

if (window.Switchboard) ready();
else window.addEventListener('switchboard:ready', ready, { once: true });

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const q = input.value.trim();
  if (!q) return;
  input.value = '';
  say('you', q);
  answer(q);
});
