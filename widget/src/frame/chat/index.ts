export { ChatView } from './view';
export { rememberedChat } from './session';
