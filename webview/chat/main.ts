import type { ChatToHost, EndpointSummary, HostToChat, LiveFigures, ThinkingState, ToolsState } from '../../src/protocol/chatProtocol';
import type { ChatMessage, ChatSettings, Conversation } from '../../src/core/chat/conversation';
import { createMarkdown } from './markdown';
import { AnswerView, userView } from './messageView';
import { el } from '../shared/dom';
import { connectHost } from '../shared/hostChannel';

const host = connectHost<ChatToHost, HostToChat, { chat: true }>();
const post = (m: ChatToHost): void => host.post(m);
const md = createMarkdown();
const app = document.getElementById('app') as HTMLElement;

// Layout: toolbar (endpoint picker, actions), settings drawer, transcript, composer. Built once; updates are local.
const toolbar = el('div', 'toolbar');
const picker = el('select', 'endpoint-picker');
picker.setAttribute('aria-label', 'Endpoint');
const addBtn = button('+', 'add-endpoint', 'Add Endpoint… (any OpenAI-compatible URL)', () => post({ type: 'addEndpoint' }));
const newBtn = button('New chat', 'new-chat', 'Start a new conversation', () => post({ type: 'newChat' }));
const exportBtn = button('Export', 'export', 'Export this conversation as Markdown', () => post({ type: 'exportMarkdown' }));
const batchBtn = button('Prompts file…', 'prompts-file', 'Send a JSON/JSONL file of tagged prompts', () => post({ type: 'sendPromptsFile' }));
const settingsBtn = button('⚙', 'settings-toggle', 'Sampling settings', () => (settingsForm.hidden = !settingsForm.hidden));
// Thinking level of the selected endpoint: only shown when its model has a switch (V3.1 onwards; not V3, not R1).
const thinkingPicker = el('select', 'thinking-picker');
thinkingPicker.setAttribute('aria-label', 'Thinking level for this endpoint');
thinkingPicker.title = 'How much the model reasons before answering; sent with every request to this endpoint';
thinkingPicker.hidden = true;
toolbar.append(picker, thinkingPicker, addBtn, newBtn, exportBtn, batchBtn, settingsBtn);
// The user's endpoint and thinking picks are numbered; a state that does not include the latest one yet (the host
// posted it before applying the pick) must not put the old value back on screen.
let choicesSent = 0;
picker.addEventListener('change', () => post({ type: 'selectEndpoint', id: picker.value, choice: ++choicesSent }));
thinkingPicker.addEventListener('change', () => post({ type: 'setThinking', level: thinkingPicker.value as ThinkingState['level'], choice: ++choicesSent }));
const LEVEL_TEXT: Record<ThinkingState['level'], string> = { off: 'Thinking off', on: 'Thinking on', low: 'Think low', high: 'Think high', xhigh: 'Think xhigh', max: 'Think max' };

const settingsForm = el('form', 'settings');
settingsForm.hidden = true;
const fields = {
  temperature: numberField('Temperature', 0, 2, 0.05),
  topP: numberField('Top p', 0.01, 1, 0.01),
  maxTokens: numberField('Max tokens', 1, 1_000_000, 1),
};
const sysPrompt = el('textarea', 'system-prompt');
sysPrompt.rows = 3;
sysPrompt.placeholder = 'System prompt (off). DeepSeek-R1\'s model card: no system prompt; for original R1 it is folded into your first message.';
const toolsInput = el('textarea', 'tools-json');
toolsInput.rows = 4;
toolsInput.spellcheck = false;
toolsInput.placeholder = 'Tools offered to the model (off). An OpenAI tools array: [{"type": "function", "function": {"name": "get_weather", "parameters": {…}}}]. The server needs a tool parser (vLLM --enable-auto-tool-choice --tool-call-parser …).';
const toolsError = el('div', 'tools-error');
toolsError.setAttribute('role', 'alert');
toolsError.hidden = true;
const toolsField = labelled('Tools (JSON)', toolsInput);
toolsField.append(toolsError);
settingsForm.append(fields.temperature.label, fields.topP.label, fields.maxTokens.label, labelled('System prompt', sysPrompt), toolsField);
// Its own message: the host parses and checks the JSON and says which field is wrong.
toolsInput.addEventListener('change', (e) => {
  e.stopPropagation();
  post({ type: 'updateTools', text: toolsInput.value });
});
settingsForm.addEventListener('change', () => {
  const n = (f: HTMLInputElement): number | undefined => (f.value === '' || !f.validity.valid ? undefined : Number(f.value));
  post({ type: 'updateSettings', settings: { temperature: n(fields.temperature.input), topP: n(fields.topP.input), maxTokens: n(fields.maxTokens.input), systemPrompt: sysPrompt.value } });
});
settingsForm.addEventListener('submit', (e) => e.preventDefault());

const empty = el('section', 'empty');
empty.append(
  el('p', 'hint', 'No endpoint yet. Launch a server (the simulator needs no GPU) or add any OpenAI-compatible endpoint.'),
  button('Launch Server', 'primary launch', '', () => post({ type: 'launchServer' })),
  button('Add Endpoint…', 'secondary', '', () => post({ type: 'addEndpoint' })),
);
const transcript = el('div', 'transcript');
transcript.setAttribute('role', 'log');
const composer = el('form', 'composer');
const input = el('textarea', 'prompt');
input.rows = 3;
input.placeholder = 'Ask the model… (Enter sends, Shift+Enter for a new line)';
input.setAttribute('aria-label', 'Message');
const sendBtn = el('button', 'send primary', 'Send');
sendBtn.type = 'submit';
composer.append(input, sendBtn);
app.append(toolbar, settingsForm, empty, transcript, composer);

let busy = false;
let hasEndpoint = false;
const answers = new Map<string, AnswerView>();
let lastAnswer: AnswerView | undefined;

function button(text: string, cls: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', cls, text);
  b.type = 'button';
  if (title) b.title = title;
  b.addEventListener('click', onClick);
  return b;
}
function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  const l = el('label', 'field');
  l.append(el('span', '', text), control);
  return l;
}
function numberField(text: string, min: number, max: number, step: number): { label: HTMLLabelElement; input: HTMLInputElement } {
  const i = el('input', '');
  i.type = 'number';
  i.min = String(min);
  i.max = String(max);
  i.step = String(step);
  return { label: labelled(text, i), input: i };
}

composer.addEventListener('submit', (e) => {
  e.preventDefault();
  if (busy) return post({ type: 'stop' });
  const text = input.value.trim();
  if (!text || !hasEndpoint) return;
  input.value = '';
  post({ type: 'send', text });
});
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    composer.requestSubmit();
  }
});

// One delegated listener: links, copy buttons, image buttons and Retry inside rendered (untrusted) markdown.
transcript.addEventListener('click', (e) => {
  const t = e.target as HTMLElement;
  const link = t.closest<HTMLAnchorElement>('a.ext-link');
  if (link) {
    e.preventDefault();
    return post({ type: 'openLink', href: link.dataset.href ?? '' });
  }
  const copy = t.closest<HTMLButtonElement>('button.copy-code');
  if (copy) {
    const code = copy.closest('.code-block')?.querySelector('code');
    post({ type: 'copy', text: code?.textContent ?? '' });
    copy.textContent = 'Copied';
    setTimeout(() => (copy.textContent = 'Copy'), 1500);
    return;
  }
  const img = t.closest<HTMLButtonElement>('button.remote-image');
  if (img?.dataset.src) {
    img.disabled = true;
    img.classList.add('loading');
    return post({ type: 'loadImage', src: img.dataset.src });
  }
  if (t.closest('[data-action="regenerate"]')) post({ type: 'regenerate' });
});
// Anchors that are not ours (none should exist) must not navigate the webview either.
document.addEventListener('click', (e) => {
  if ((e.target as HTMLElement).closest('a')) e.preventDefault();
});

function nearBottom(): boolean {
  return transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
}
function keepBottom(stick: boolean): void {
  if (stick) transcript.scrollTop = transcript.scrollHeight;
}

function addMessage(m: ChatMessage): void {
  if (m.role === 'user') {
    transcript.append(userView(m));
    return;
  }
  const v = new AnswerView(md, m, (id, results) => post({ type: 'toolResults', id, results }));
  answers.set(m.id, v);
  transcript.append(v.el);
  lastAnswer?.setLast(false);
  lastAnswer = v;
  v.setLast(true);
}

function showConversation(c: Conversation): void {
  answers.clear();
  lastAnswer = undefined;
  pending.clear();
  transcript.replaceChildren();
  for (const m of c.messages) addMessage(m);
  transcript.scrollTop = transcript.scrollHeight;
}

function showThinking(t: ThinkingState | undefined): void {
  thinkingPicker.hidden = !t;
  if (!t) return;
  const same = thinkingPicker.options.length === t.levels.length && t.levels.every((l, i) => thinkingPicker.options[i].value === l);
  if (!same) {
    thinkingPicker.replaceChildren(
      ...t.levels.map((l) => {
        const o = el('option', '', LEVEL_TEXT[l]);
        o.value = l;
        return o;
      }),
    );
  }
  thinkingPicker.value = t.level;
}

function showTools(t: ToolsState): void {
  if (document.activeElement !== toolsInput && toolsInput.value !== t.text) toolsInput.value = t.text;
  toolsError.hidden = !t.error;
  toolsError.textContent = t.error ?? '';
  toolsInput.setAttribute('aria-invalid', t.error ? 'true' : 'false');
  // A new refusal (or a bad setting) is shown, not hidden in a closed drawer; closing it again is the user's choice.
  if (t.error && t.error !== lastToolsError) settingsForm.hidden = false;
  lastToolsError = t.error;
}
let lastToolsError: string | undefined;

function showState(endpoints: EndpointSummary[], selected: string | undefined, settings: ChatSettings, isBusy: boolean): void {
  busy = isBusy;
  const usable = endpoints.filter((e) => e.status === 'ready');
  hasEndpoint = usable.some((e) => e.id === selected);
  picker.replaceChildren(
    ...endpoints.map((e) => {
      const o = el('option', '', `${e.label}${e.simulated ? ' (simulated)' : ''}${e.status === 'ready' ? '' : ` — ${e.status}`}`);
      o.value = e.id;
      o.disabled = e.status !== 'ready';
      o.selected = e.id === selected;
      return o;
    }),
  );
  empty.hidden = endpoints.length > 0;
  toolbar.hidden = endpoints.length === 0;
  sendBtn.textContent = busy ? 'Stop' : 'Send';
  sendBtn.classList.toggle('stop', busy);
  sendBtn.disabled = !busy && !hasEndpoint;
  newBtn.disabled = busy;
  const active = document.activeElement;
  if (active !== fields.temperature.input) fields.temperature.input.value = String(settings.temperature);
  if (active !== fields.topP.input) fields.topP.input.value = String(settings.topP);
  if (active !== fields.maxTokens.input) fields.maxTokens.input.value = String(settings.maxTokens);
  if (active !== sysPrompt) sysPrompt.value = settings.systemPrompt;
  post({ type: 'rendered', endpointCount: endpoints.length });
}

// Deltas are merged per message and rendered once per animation frame, however fast they arrive.
const pending = new Map<string, { reasoning: string; content: string; thought?: { ms: number; tokens: number }; live?: LiveFigures }>();
let frame = 0;
function renderPending(): void {
  frame = 0;
  const stick = nearBottom();
  for (const [id, d] of pending) {
    const v = answers.get(id);
    if (!v) continue;
    v.append(d.reasoning, d.content);
    if (d.thought) v.thought(d.thought.ms, d.thought.tokens);
    if (d.live) v.live(d.live);
    v.flush();
  }
  pending.clear();
  keepBottom(stick);
}

host.listen((m) => {
  switch (m?.type) {
    case 'state': {
      const settled = m.choiceSeen >= choicesSent;
      if (settled) showThinking(m.thinking);
      showTools(m.tools);
      return showState(m.endpoints, settled ? m.selectedEndpointId : picker.value, m.settings, m.busy);
    }
    case 'conversation':
      return showConversation(m.conversation);
    case 'append': {
      const stick = nearBottom() || m.message.role === 'user';
      addMessage(m.message);
      return keepBottom(stick);
    }
    case 'delta': {
      const p = pending.get(m.id);
      if (p) {
        p.reasoning += m.reasoning;
        p.content += m.content;
        p.thought ??= m.thought;
        p.live = m.live ?? p.live;
      } else {
        pending.set(m.id, { reasoning: m.reasoning, content: m.content, thought: m.thought, live: m.live });
      }
      if (!frame) frame = requestAnimationFrame(renderPending);
      return;
    }
    case 'finish': {
      if (pending.size) renderPending();
      const v = answers.get(m.id);
      const stick = nearBottom();
      // A second finish for the same answer only brings its tool calls' results (after Continue).
      if (v?.state === 'streaming') v.finish(m.state, m.error, m.stats);
      v?.setToolCalls(m.toolCalls);
      if (v) v.setLast(v === lastAnswer);
      return keepBottom(stick);
    }
    case 'image': {
      for (const b of Array.from(transcript.querySelectorAll<HTMLButtonElement>('button.remote-image.loading'))) {
        if (b.dataset.src !== m.src) continue;
        if (m.dataUrl) {
          const img = el('img', 'loaded-image');
          img.alt = b.textContent ?? '';
          img.src = m.dataUrl; // a data: URL fetched by the extension host after the click; CSP allows only data: and our own files
          b.replaceWith(img);
        } else {
          b.disabled = false;
          b.classList.remove('loading');
          b.title = `Could not load: ${m.error ?? 'unknown error'}`;
          b.classList.add('image-error');
        }
      }
      return;
    }
  }
});
// Marks the editor panel as restorable after a reload (its serializer re-attaches it to the session).
host.setState({ chat: true });
