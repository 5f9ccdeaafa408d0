// DeepSharp chat page: streams /v1/chat/completions (OpenAI SSE with DeepSeek's delta.reasoning_content), shows the
// reasoning in a collapsible block above the answer, keeps the conversation, and can stop a generation.
"use strict";

const $ = (id) => document.getElementById(id);

/** The conversation as sent back to the server: user turns and the assistant's answers, never its reasoning
 *  (DeepSeek's multi-turn rule: earlier chains of thought are not part of the context). */
const history = [];
let modelId = null;
let running = null; // AbortController of the generation in progress

async function loadModel() {
  try {
    const response = await fetch("/v1/models", { headers: headers() });
    if (!response.ok) throw new Error(await errorMessage(response));
    const body = await response.json();
    modelId = body.data?.[0]?.id ?? null;
    $("model").textContent = modelId ?? "none";
  } catch (e) {
    $("model").textContent = "unavailable";
    showError(`Could not list models: ${e.message}`);
  }
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("api-key").value.trim();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

/** Events of an SSE body, parsed from JSON; stops at "data: [DONE]". */
async function* sseEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
      if (!data) continue;
      if (data === "[DONE]") return;
      const event = JSON.parse(data);
      if (event.error) throw new Error(event.error.message ?? "the server reported an error");
      yield event;
    }
  }
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body.error?.message) return `${body.error.message} (HTTP ${response.status})`;
  } catch { /* not JSON */ }
  return `HTTP ${response.status} ${response.statusText}`;
}

/** The DOM of one assistant turn, updated as deltas arrive. */
function assistantTurn() {
  const li = $("assistant-turn").content.firstElementChild.cloneNode(true);
  $("messages").append(li);
  const part = (id) => li.querySelector(`[data-testid="${id}"]`);
  const thinking = part("thinking"), thinkingText = part("thinking-text"), summary = part("thinking-summary");
  const answer = part("answer"), note = part("note");
  let thinkingStarted = null;
  return {
    state(value) { li.dataset.state = value; },
    reason(text) {
      if (thinking.hidden) { thinking.hidden = false; thinkingStarted = performance.now(); }
      thinkingText.textContent += text;
    },
    answer(text) {
      this.endThinking();
      answer.textContent += text;
    },
    endThinking() {
      if (thinkingStarted === null) return;
      summary.textContent = `Thought for ${((performance.now() - thinkingStarted) / 1000).toFixed(1)} s`;
      thinkingStarted = null;
    },
    note(text) { note.hidden = false; note.textContent = text; },
    get answerText() { return answer.textContent; },
  };
}

function addUserTurn(text) {
  const li = document.createElement("li");
  li.className = "turn user";
  li.dataset.testid = "user-message";
  li.textContent = text;
  $("messages").append(li);
}

function scrollToEnd() {
  const main = document.querySelector("main");
  main.scrollTop = main.scrollHeight;
}

/** Tokens per second of the generation itself (from the first streamed token, so prompt processing is excluded). */
function showSpeed(tokens, firstTokenAt) {
  if (firstTokenAt === null) return;
  const seconds = (performance.now() - firstTokenAt) / 1000;
  const rate = seconds > 0 ? (tokens / seconds).toFixed(1) : "–";
  $("stats").textContent = `${tokens} tokens · ${rate} tokens/s`;
}

function requestBody() {
  const body = { messages: history, stream: true, stream_options: { include_usage: true } };
  if (modelId) body.model = modelId;
  const maxTokens = parseInt($("max-tokens").value, 10);
  if (maxTokens > 0) body.max_tokens = maxTokens;
  const temperature = parseFloat($("temperature").value);
  if (temperature >= 0) body.temperature = temperature;
  return body;
}

async function send(text) {
  showError(null);
  $("empty").hidden = true;
  history.push({ role: "user", content: text });
  addUserTurn(text);
  const turn = assistantTurn();
  running = new AbortController();
  setBusy(true);
  let deltas = 0, firstTokenAt = null, usage = null, finish = null;
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers(), body: JSON.stringify(requestBody()), signal: running.signal,
    });
    if (!response.ok) throw new Error(await errorMessage(response));
    turn.state("streaming");
    for await (const event of sseEvents(response.body)) {
      if (event.usage) usage = event.usage;
      const choice = event.choices?.[0];
      if (!choice) continue;
      const delta = choice.delta ?? {};
      if (delta.reasoning_content || delta.content) {
        firstTokenAt ??= performance.now();
        deltas++;
      }
      if (delta.reasoning_content) turn.reason(delta.reasoning_content);
      if (delta.content) turn.answer(delta.content);
      if (choice.finish_reason) finish = choice.finish_reason;
      showSpeed(deltas, firstTokenAt);
      scrollToEnd();
    }
    turn.endThinking();
    if (usage) showSpeed(usage.completion_tokens, firstTokenAt);
    if (finish === "length") turn.note("Stopped at the token limit.");
    turn.state("done");
  } catch (e) {
    turn.endThinking();
    if (e.name === "AbortError") {
      turn.note("Stopped.");
      turn.state("stopped");
    } else {
      turn.note("Failed.");
      turn.state("error");
      showError(e.message);
    }
  } finally {
    history.push({ role: "assistant", content: turn.answerText });
    running = null;
    setBusy(false);
  }
}

function setBusy(busy) {
  $("send").disabled = busy;
  $("stop").disabled = !busy;
  $("new-chat").disabled = busy;
  if (!busy) $("prompt").focus();
}

function showError(message) {
  $("error").hidden = !message;
  $("error").textContent = message ?? "";
}

function submit(event) {
  event.preventDefault();
  const prompt = $("prompt");
  const text = prompt.value.trim();
  if (!text || running) return;
  prompt.value = "";
  send(text);
}

$("composer").addEventListener("submit", submit);
$("prompt").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) submit(e);
});
$("stop").addEventListener("click", () => running?.abort());
$("new-chat").addEventListener("click", () => {
  history.length = 0;
  $("messages").replaceChildren();
  $("stats").textContent = "";
  $("empty").hidden = false;
  showError(null);
  $("prompt").focus();
});
$("api-key").addEventListener("change", loadModel);
loadModel();
