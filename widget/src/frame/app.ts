// What a view needs of the frame app. main.ts builds it; views import only this type, so no
// view imports main.ts and the frame's modules have no import cycle.
import type { WidgetConfig } from './api';
import type { Host } from './host';
import type { Shell } from './shell';
import type { ContactDetails, Language } from '../messages';

export interface App {
  readonly config: WidgetConfig;
  readonly host: Host;
  readonly shell: Shell;
  /** What the visitor (or the site) told us about them, pre-filled in every form. */
  contact: ContactDetails;
  readonly lang: Language;
  /** Something for the visitor arrived: counted on the bubble while the widget is closed. */
  notice(): void;
  backButton(): HTMLElement;
  home(): void;
}
