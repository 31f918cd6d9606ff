import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, signal, untracked, viewChild } from '@angular/core';
import { Title } from '@angular/platform-browser';
import { NavigationEnd, Router, RouterLink, RouterOutlet } from '@angular/router';
import { AgentSocket } from '../../core/agent-socket';
import { I18n } from '../../core/i18n';
import { Notifier } from '../../core/notifier';
import { WorkStore } from '../../core/work';
import { InteractionDetail } from '../interactions/interaction-detail';
import { InteractionList } from '../interactions/interaction-list';
import { OfferPopover } from '../offers/offer-popover';
import { ReasonsStore } from '../../core/reasons';
import { Session } from '../../core/session';
import { Shortcuts } from '../../core/shortcuts';
import { PasswordDialog } from '../password/password-dialog';
import { StateBanner } from '../state/state-banner';
import { StateSelector } from '../state/state-selector';
import { ConnectionIndicator } from './connection-indicator';
import { LanguagePicker } from './language-picker';
import { ShortcutsHelp } from './shortcuts-help';
import { Softphone } from '../../core/softphone';
import { CallInvites } from '../../core/call-invites';
import { ChatStore } from '../../core/chat';
import { CallPanel } from '../softphone/call-panel';
import { PhoneStatus } from '../softphone/phone-status';

/** The logged-in frame: state, connection, account menu; features fill the work area. */
@Component({
  selector: 'sb-shell',
  imports: [RouterOutlet, RouterLink, StateSelector, StateBanner, OfferPopover, InteractionList, InteractionDetail, ConnectionIndicator, LanguagePicker, CallPanel, PhoneStatus, PasswordDialog, ShortcutsHelp],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './shell.html',
  styleUrl: './shell.css',
  host: { '(document:click)': 'menuOpen.set(false)' },
})
export class Shell {
  protected readonly session = inject(Session);
  protected readonly socket = inject(AgentSocket);
  protected readonly t = inject(I18n).t;
  private readonly selector = viewChild.required(StateSelector);

  protected readonly notifier = inject(Notifier);
  private readonly work = inject(WorkStore);
  protected readonly picked = signal<string | null>(null);
  /** The picked interaction while it is open, else the oldest: the detail is never empty for nothing. */
  private readonly phone = inject(Softphone);
  /** Created with the shell: invitation calls must be recognised (and answered) on any screen. */
  private readonly invites = inject(CallInvites);
  /** Created with the shell, so chat lines and unread counts are kept for every chat, shown or not. */
  private readonly chat = inject(ChatStore);
  protected readonly selected = computed(() => {
    const list = this.work.interactions();
    const p = this.picked();
    return list.find((i) => i.id === p)?.id ?? list[0]?.id ?? null;
  });
  /** A call fills the detail when picked; a new call (ringing or being dialled) is picked on its own, once. */
  protected readonly selectedCall = computed(() => {
    const p = this.picked();
    return this.phone.calls().find((c) => c.id === p)?.id ?? null;
  });
  /** What fills the detail: the picked call, else the selected interaction. */
  protected readonly shown = computed(() => this.selectedCall() ?? this.selected());
  private readonly broughtForward = new Set<string>();
  /** Interactions and calls the agent opened, in the order opened, while they last: the tabs. */
  private readonly opened = signal<readonly string[]>([]);
  protected readonly tabs = computed(() =>
    this.opened()
      .map((id) => {
        const i = this.work.interaction(id);
        if (i) return { id, label: i.customerName || this.t('offer.unknownCustomer'), unread: this.chat.unread(id) };
        const c = this.phone.call(id);
        return c ? { id, label: c.context.name || c.displayName || c.number || this.t('channel.phone'), unread: 0 } : null;
      })
      .filter((x) => x !== null),
  );
  protected readonly menuOpen = signal(false);
  private readonly router = inject(Router);
  private readonly url = signal(this.router.url);
  /** Which section fills the page: the work area (the shell's own), or a lazily loaded one. */
  protected readonly section = computed(() => {
    const first = this.url().split(/[?#]/)[0]!.split('/')[1] ?? '';
    return first === 'history' || first === 'contacts' || first === 'supervisor' || first === 'reports' ? first : 'work';
  });
  protected readonly dialog = signal<'password' | 'shortcuts' | null>(null);

  constructor() {
    const nav = this.router.events.subscribe((e) => e instanceof NavigationEnd && this.url.set(e.urlAfterRedirects));
    this.socket.start();
    void this.phone.start();
    inject(ReasonsStore).load().catch(() => undefined);
    const unregister = inject(Shortcuts).register(
      { keys: 'Alt+A', label: 'shortcuts.available', run: () => void this.selector().set('available') },
      { keys: 'Alt+N', label: 'shortcuts.notReady', run: () => this.selector().toggle() },
      { keys: 'Shift+?', label: 'shortcuts.help', run: () => this.dialog.set('shortcuts') },
    );
    effect(() => {
      const shown = this.shown();
      if (shown && !untracked(this.opened).includes(shown)) this.opened.update((o) => [...o, shown]);
    });
    // The visitor joined a video call the agent offered: its chat comes forward, wherever the agent is.
    effect(() => {
      const joined = this.phone.calls().find((c) => c.state !== 'ended' && this.invites.chatCalls().has(c.id) && !this.broughtForward.has(c.id));
      const invite = joined?.inviteId ? this.invites.get(joined.inviteId) : undefined;
      if (!joined || !invite) return;
      this.broughtForward.add(joined.id);
      untracked(() => this.openWork(invite.interactionId));
    });
    effect(() => {
      const fresh = this.invites.ownCalls().find((c) => (c.state === 'ringing' || c.state === 'dialing') && !this.broughtForward.has(c.id));
      if (!fresh) return;
      this.broughtForward.add(fresh.id);
      untracked(() => this.picked.set(fresh.id));
    });
    // An agent working in another window sees pending offers in the tab title.
    const title = inject(Title);
    effect(() => {
      const n = this.work.offers().length;
      title.setTitle(n ? `(${n}) ${this.t('offer.title')} · ${this.t('app.name')}` : this.t('app.name'));
    });
    inject(DestroyRef).onDestroy(() => {
      title.setTitle(this.t('app.name'));
      nav.unsubscribe();
      unregister();
      this.socket.stop();
      this.phone.stop();
    });
  }

  /** An accepted offer is what the agent wants to see, whichever section is open. */
  protected openWork(id: string): void {
    // A call the agent is answering or on keeps the detail: a callback's own call can ring before
    // the acceptance of its offer has come back. The interaction gets its tab beside it.
    const call = this.selectedCall();
    if (call && this.phone.call(call)?.state !== 'ended') this.opened.update((o) => (o.includes(id) ? o : [...o, id]));
    else this.picked.set(id);
    if (this.section() !== 'work') void this.router.navigate(['/']);
  }

  protected closeTab(id: string): void {
    const tabs = this.tabs().map((t) => t.id);
    const at = tabs.indexOf(id);
    this.opened.update((o) => o.filter((x) => x !== id));
    if (this.shown() === id) this.picked.set(tabs[at + 1] ?? tabs[at - 1] ?? null);
  }

  protected toggleMenu(e: Event): void {
    e.stopPropagation();
    this.menuOpen.update((o) => !o);
  }

  protected async logout(): Promise<void> {
    // Stop first: the server closes this tab's socket too, and that must not read as "revoked elsewhere".
    this.socket.stop();
    this.phone.stop();
    await this.session.logout();
  }
}
