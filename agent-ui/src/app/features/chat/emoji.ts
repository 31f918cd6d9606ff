/**
 * The emoji the picker offers: a short built-in set of what agents use in service chats, so no
 * emoji library (hundreds of KB of data) ships with the desktop. Any other emoji can still be
 * typed or pasted from the system's own picker.
 */
export const EMOJI: readonly string[] = [
  '😊', '🙂', '😀', '😄', '😉', '😅', '😂', '🤔', '😮', '😕', '😢', '🙏',
  '👍', '👎', '👌', '👋', '👏', '🙌', '💪', '🤝', '✅', '❌', '⚠️', 'ℹ️',
  '❤️', '⭐', '🎉', '🔥', '💡', '📦', '🚚', '📅', '⏰', '📞', '📧', '📎',
  '💳', '🧾', '🔒', '🔑', '🛒', '🎁', '☕', '🌍', '➡️', '⬅️', '⬆️', '⬇️',
];
