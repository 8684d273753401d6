#!/usr/bin/env node
// Starts the telegram-test-api Bot API emulator for Voorkomen's end-to-end tests,
// with the gaps closed that an unchanged aiogram 3 bot trips over.
//
// Why this file exists: telegram-test-api 4.2.1 is close enough to the Bot API for
// a long-polling bot, but (1) getMe lacks `is_bot`, so aiogram refuses to start;
// (2) callback queries lack `chat_instance`, so aiogram rejects the whole batch and
// the updates are lost; (3) getUpdates ignores `timeout`, so the bot busy-loops;
// (4) sendDocument, setMyCommands, getMyCommands and setMyDescription do not exist; (5) the edit
// methods and answerCallbackQuery answer `null` where the Bot API answers `true`,
// and removing a keyboard is ignored; (6) it listens on `localhost` (may be ::1)
// and turns port 0 into 9000; (7) presses sent at once to a webhook shared one
// callback query id; (8) getUpdates confirmed an update by returning it, not by
// a later `offset`; (9) tests need to hold a poll's confirmation (crash tests);
// (10) a webhook delivery that failed was lost, not delivered again; (11) a load
// test of many chats could only poll the whole history of the bot (every message
// of every chat) to see a reply, so waiting for replies cost more than the bot;
// (12) idle connections were closed after 5 s, before the bot's client let go of them;
// (13) webhook posts went over Node's kept-alive connections, so two workers sharing
// one port (SO_REUSEPORT: the kernel picks a worker per connection) could get every
// update on one of them.
// Our own routes are installed *before* the emulator's
// (express matches in order), so nothing in node_modules is edited.
//
// Usage: node launch-emulator.js [--port N]   (default 0: the OS picks a free port)
// Prints one line `READY http://127.0.0.1:<port>` on stdout once it listens, then
// runs until SIGTERM/SIGINT. Extra user-side routes for tests (JSON over HTTP):
//   POST /sendCallback        -> {ok, result: {callback_query_id}}
//   POST /getCallbackAnswers  {token} -> answers given with answerCallbackQuery
//   POST /getEdits            {token} -> every edit the bot made, in order
//   POST /getDocumentContent  {file_id} -> {ok, result: "<file text>"}
//   POST /getWebhook          {token} -> the webhook the bot set (or null)
//   POST /getDescriptions     {token} -> what setMyDescription/setMyShortDescription set
//   POST /floodNext           {token, chat_id, count, retry_after, fault?}
//                             -> the next `count` sendMessage calls of that bot to that chat
//                             fail: fault "429" (default) answers Telegram's flood control,
//                             {ok: false, error_code: 429, parameters: {retry_after}}; fault
//                             "drop" closes the connection without an answer (a network error)
//   POST /getFloods           {token} -> the faults served so far ({chat_id, fault, at})
// A user message posted to /sendMessage with `edit_of: <message_id>` reaches the bot
// as an `edited_message` of that message; `reply_to_message` is passed on as given.
//   POST /holdPolling         {token} -> later getUpdates calls hang unconfirmed (see 9)
//   POST /releasePolling      {token} -> answers the held calls still connected
//   POST /waitChat            {token, chat_id, after, timeout} -> (11) the events of one chat
//                             after the first `after` ones, waiting up to `timeout` s for one:
//                             {events: [{seq, at, kind, message_id}], messages: [entries as in
//                             getUpdatesHistory, as they look now]}. kind: "user" (the emulator
//                             accepted an update of the user: message, command or press),
//                             "sent" (a message or document of the bot), "edit" (an edit of one);
//                             `at` is the emulator's clock in ms.
// The bot-side getMyCommands route also serves tests checking the command menu.
'use strict';

const TelegramServer = require('telegram-test-api');
const { routes } = require('telegram-test-api/lib/routes/index');

const HOST = '127.0.0.1';
const BOT_USERNAME = process.env.EMULATOR_BOT_USERNAME || 'VoorkomenTestBot';
const MAX_POLL_SECONDS = 50;

function parseArgs(argv) {
  const args = { port: 0 };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--port') {
      args.port = Number(argv[i + 1]);
      i += 1;
    }
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new Error(`invalid --port ${args.port}`);
  }
  return args;
}

// ------------------------------------------------------------ request bodies

function readRaw(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// A small multipart/form-data reader: aiohttp (aiogram) sends files this way and
// the emulator only parses JSON and urlencoded bodies. Returns {fields, files}.
function parseMultipart(body, contentType) {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType || '');
  if (!match) {
    throw new Error('multipart body without boundary');
  }
  const boundary = Buffer.from(`--${match[1] || match[2]}`);
  const fields = {};
  const files = {};
  let start = body.indexOf(boundary);
  while (start !== -1) {
    const partStart = start + boundary.length;
    if (body.slice(partStart, partStart + 2).toString() === '--') {
      break;
    }
    const next = body.indexOf(boundary, partStart);
    if (next === -1) {
      break;
    }
    // part = CRLF headers CRLF CRLF content CRLF
    const part = body.slice(partStart + 2, next - 2);
    const sep = part.indexOf('\r\n\r\n');
    const headers = part.slice(0, sep).toString('utf8');
    const content = part.slice(sep + 4);
    const name = /name="([^"]*)"/i.exec(headers);
    const filename = /filename="([^"]*)"/i.exec(headers);
    if (name) {
      if (filename) {
        files[name[1]] = { filename: filename[1], content };
      } else {
        fields[name[1]] = content.toString('utf8');
      }
    }
    start = next;
  }
  return { fields, files };
}

async function formBody(req) {
  const type = req.headers['content-type'] || '';
  if (type.startsWith('multipart/form-data')) {
    const raw = await readRaw(req);
    return parseMultipart(raw, type);
  }
  return { fields: { ...(req.query || {}), ...(req.body || {}) }, files: {} };
}

function parseJsonField(value) {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

// ------------------------------------------------------------ patches

function installPatches(app, server) {
  const state = {
    commands: {}, // token -> {languageCode: [BotCommand]}
    callbackAnswers: [], // {token, callback_query_id, text, show_alert}
    edits: [], // {token, method, chat_id, message_id, text, reply_markup}
    files: {}, // file_id -> {filename, content}
    nextFile: 1,
    descriptions: {}, // token -> {description, short_description}
    floods: {}, // `${token}:${chat_id}` -> [{fault, retry_after}] still to serve
    floodsServed: [], // {token, chat_id, fault, at}
  };

  const ok = (res, result) => res.json({ ok: true, result });
  const bad = (res, description) => res.status(400).json({ ok: false, error_code: 400, description });
  const botRoute = (method, handler) => {
    app.all(`/bot:token/${method}`, (req, res) => {
      Promise.resolve()
        .then(() => handler(req, res, req.params.token))
        .catch((error) => {
          process.stderr.write(`emulator: ${method} failed: ${error.stack || error}\n`);
          if (!res.headersSent) {
            bad(res, `Bad Request: ${error.message}`);
          }
        });
    });
  };

  // (1) getMe with the fields the Bot API always sends.
  const me = {
    id: 666,
    is_bot: true,
    first_name: 'Voorkomen (test)',
    username: BOT_USERNAME,
  };
  botRoute('getMe', (req, res) => ok(res, {
    ...me,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  }));

  // (5) A sent message comes back as a Message, not as an echo of the request
  // (the emulator echoes form fields such as link_preview_options as strings).
  const sentMessage = (stored, extra) => ({
    message_id: stored.message_id,
    date: Math.floor(Date.now() / 1000),
    chat: stored.chat,
    from: me,
    ...(stored.text === undefined ? {} : { text: stored.text }),
    ...(stored.reply_markup ? { reply_markup: stored.reply_markup } : {}),
    ...extra,
  });
  // Flood control and network faults, on request of a test (/floodNext).
  const takeFlood = (token, chatId) => {
    const queue = state.floods[`${token}:${chatId}`];
    if (!queue || queue.length === 0) {
      return null;
    }
    const fault = queue.shift();
    state.floodsServed.push({ token, chat_id: String(chatId), fault: fault.fault, at: Date.now() });
    return fault;
  };
  botRoute('sendMessage', async (req, res, token) => {
    const { fields } = await formBody(req);
    const flood = takeFlood(token, fields.chat_id);
    if (flood && flood.fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (flood) {
      res.status(429).json({
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${flood.retry_after}`,
        parameters: { retry_after: flood.retry_after },
      });
      return;
    }
    if (!fields.text) {
      bad(res, 'Bad Request: message text is empty');
      return;
    }
    ok(res, sentMessage(server.addBotMessage(fields, token), {}));
  });

  // (3) Long polling: wait up to `timeout` seconds for an update instead of
  // answering at once with an empty list. (8) An update is confirmed as the Bot
  // API confirms it: by a later getUpdates whose `offset` is above its update_id
  // (the library marked it read as soon as it was returned), so an update whose
  // confirmation never arrived (the bot died first) is offered again.
  // (9) For crash tests, POST /holdPolling {token} makes the bot's getUpdates
  // calls after the next non-empty answer hang unanswered, as if they never
  // reached the server (their offset confirms nothing); /releasePolling {token}
  // answers those whose bot is still connected.
  const holds = {}; // token -> {armed, on, waiting: [() => void]}
  const confirm = (token, offset) => {
    server.storage.userMessages.forEach((u) => {
      if (u.botToken === token && u.updateId < offset) {
        u.isRead = true;
      }
    });
  };
  const unconfirmed = (token, offset) => server.storage.userMessages.filter(
    (u) => u.botToken === token && !u.isRead && !(u.updateId < offset),
  );
  const answerPoll = (req, res, token, closed) => {
    const params = { ...(req.query || {}), ...(req.body || {}) };
    const timeout = Math.min(Number(params.timeout || 0), MAX_POLL_SECONDS);
    const offset = params.offset === undefined || params.offset === '' ? -Infinity : Number(params.offset);
    if (closed()) {
      return; // the request never arrived, as far as the bot's updates go
    }
    confirm(token, offset);
    const pending = () => unconfirmed(token, offset).length > 0;
    const reply = () => {
      const updates = unconfirmed(token, offset);
      const hold = holds[token];
      if (hold && hold.armed && updates.length > 0) {
        hold.armed = false;
        hold.on = true;
      }
      ok(res, updates.map((u) => TelegramServer.formatUpdate(u)));
    };
    if (pending() || !(timeout > 0)) {
      reply();
      return;
    }
    const events = ['AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery'];
    let timer = null;
    const done = () => {
      events.forEach((e) => server.off(e, onEvent));
      res.off('close', onClose);
      clearTimeout(timer);
    };
    const onEvent = () => {
      if (pending()) {
        done();
        reply();
      }
    };
    const onClose = () => done(); // the bot went away: leave its updates unconfirmed
    events.forEach((e) => server.on(e, onEvent));
    res.on('close', onClose);
    timer = setTimeout(() => {
      done();
      reply();
    }, timeout * 1000);
  };
  botRoute('getUpdates', (req, res, token) => {
    let gone = false;
    res.on('close', () => { gone = true; });
    const closed = () => gone || res.writableEnded || !req.socket || req.socket.destroyed;
    const hold = holds[token];
    if (hold && hold.on) {
      hold.waiting.push(() => answerPoll(req, res, token, closed));
      return;
    }
    answerPoll(req, res, token, closed);
  });
  app.post('/holdPolling', (req, res) => {
    holds[req.body.token] = { armed: true, on: false, waiting: [] };
    ok(res, true);
  });
  app.post('/releasePolling', (req, res) => {
    const hold = holds[req.body.token];
    delete holds[req.body.token];
    const held = hold ? hold.waiting.length : 0;
    if (hold) { // a moment later, so the close of a killed bot's connection is seen first
      setTimeout(() => hold.waiting.forEach((answer) => answer()), 300);
    }
    ok(res, { held, on: Boolean(hold && hold.on) });
  });

  // (5) answerCallbackQuery answers true, and keeps the toast for tests.
  botRoute('answerCallbackQuery', async (req, res, token) => {
    const { fields } = await formBody(req);
    state.callbackAnswers.push({
      token,
      callback_query_id: String(fields.callback_query_id),
      text: fields.text || '',
      show_alert: String(fields.show_alert) === 'true',
    });
    ok(res, true);
  });

  // (5) Edits change the stored message, also when the keyboard is removed.
  const findBotMessage = (chatId, messageId) => server.storage.botMessages.find(
    (u) => String(u.messageId) === String(messageId) && String(u.message.chat_id) === String(chatId),
  );
  const edit = (method, apply) => botRoute(method, async (req, res, token) => {
    const { fields } = await formBody(req);
    const stored = findBotMessage(fields.chat_id, fields.message_id);
    if (!stored) {
      bad(res, 'Bad Request: message to edit not found');
      return;
    }
    const markup = fields.reply_markup ? parseJsonField(fields.reply_markup) : undefined;
    apply(stored.message, fields, markup);
    chatEvent(token, fields.chat_id, 'edit', stored);
    state.edits.push({
      token,
      method,
      chat_id: String(fields.chat_id),
      message_id: Number(fields.message_id),
      text: fields.text,
      reply_markup: markup || null,
    });
    ok(res, true);
  });
  const setMarkup = (message, markup) => {
    if (markup && 'inline_keyboard' in markup) {
      message.reply_markup = markup;
    } else {
      delete message.reply_markup;
    }
  };
  edit('editMessageReplyMarkup', (message, fields, markup) => setMarkup(message, markup));
  edit('editMessageText', (message, fields, markup) => {
    message.text = fields.text;
    message.parse_mode = fields.parse_mode;
    setMarkup(message, markup);
  });

  // (4) sendDocument: keep the file so a test can read it, show it in the chat.
  botRoute('sendDocument', async (req, res, token) => {
    const { fields, files } = await formBody(req);
    // aiogram sends `document=attach://<name>` and the file under <name>.
    const ref = String(fields.document || '');
    const upload = ref.startsWith('attach://') ? files[ref.slice('attach://'.length)] : files.document;
    if (!upload) {
      bad(res, 'Bad Request: there is no document in the request');
      return;
    }
    const fileId = `doc-${state.nextFile}`;
    state.nextFile += 1;
    state.files[fileId] = { filename: upload.filename, content: upload.content };
    const document = {
      file_id: fileId,
      file_unique_id: `u${fileId}`,
      file_name: upload.filename,
      mime_type: 'text/plain',
      file_size: upload.content.length,
    };
    const { document: _ref, ...rest } = fields;
    const message = { ...rest, document };
    const stored = server.addBotMessage(message, token);
    ok(res, sentMessage(stored, fields.caption ? { document, caption: fields.caption } : { document }));
  });

  // (4) The command menu.
  botRoute('setMyCommands', async (req, res, token) => {
    const { fields } = await formBody(req);
    const lang = fields.language_code || '';
    state.commands[token] = { ...(state.commands[token] || {}), [lang]: parseJsonField(fields.commands) };
    ok(res, true);
  });
  botRoute('getMyCommands', async (req, res, token) => {
    const { fields } = await formBody(req);
    ok(res, (state.commands[token] || {})[fields.language_code || ''] || []);
  });
  botRoute('deleteMyCommands', async (req, res, token) => {
    const { fields } = await formBody(req);
    delete (state.commands[token] || {})[fields.language_code || ''];
    ok(res, true);
  });

  // The description shown before a user presses Start.
  const description = (method, field) => botRoute(method, async (req, res, token) => {
    const { fields } = await formBody(req);
    state.descriptions[token] = { ...(state.descriptions[token] || {}), [field]: fields[field] || '' };
    ok(res, true);
  });
  description('setMyDescription', 'description');
  description('setMyShortDescription', 'short_description');

  // setWebhook keeps the secret token so updates can carry it (see addUserUpdate).
  botRoute('setWebhook', async (req, res, token) => {
    const { fields } = await formBody(req);
    if (!fields.url) {
      bad(res, 'Bad Request: bad webhook: an empty url');
      return;
    }
    server.setWebhook({ url: fields.url, secret_token: fields.secret_token || '' }, token);
    ok(res, true);
  });

  // ---------------------------------------------------- user-side routes for tests

  app.post('/sendCallback', (req, res) => {
    const id = String(server.callbackId);
    server.addUserCallback(req.body).catch((e) => process.stderr.write(`emulator: ${e}\n`));
    ok(res, { callback_query_id: id });
  });
  app.post('/getCallbackAnswers', (req, res) => {
    ok(res, state.callbackAnswers.filter((a) => a.token === req.body.token));
  });
  app.post('/getEdits', (req, res) => {
    ok(res, state.edits.filter((e) => e.token === req.body.token));
  });
  app.post('/getDocumentContent', (req, res) => {
    const file = state.files[req.body.file_id];
    if (!file) {
      bad(res, 'no such file');
      return;
    }
    ok(res, file.content.toString('utf8'));
  });
  app.post('/getDescriptions', (req, res) => ok(res, state.descriptions[req.body.token] || {}));
  app.post('/floodNext', (req, res) => {
    const { token, chat_id: chatId } = req.body;
    const count = Number(req.body.count || 1);
    const retryAfter = Number(req.body.retry_after || 1);
    const fault = req.body.fault === 'drop' ? 'drop' : '429';
    if (!token || chatId === undefined || !(count > 0) || !(retryAfter >= 0)) {
      bad(res, 'floodNext needs token, chat_id, count > 0 and retry_after >= 0');
      return;
    }
    const key = `${token}:${chatId}`;
    state.floods[key] = state.floods[key] || [];
    for (let i = 0; i < count; i += 1) {
      state.floods[key].push({ fault, retry_after: retryAfter });
    }
    ok(res, true);
  });
  app.post('/getFloods', (req, res) => {
    ok(res, state.floodsServed.filter((f) => f.token === req.body.token));
  });
  app.post('/getWebhook', (req, res) => ok(res, server.webhooks[req.body.token] || null));
  app.post('/waitChat', (req, res) => {
    const { token, chat_id: chatId } = req.body;
    const after = Number(req.body.after || 0);
    const timeout = Math.min(Number(req.body.timeout || 0), MAX_POLL_SECONDS);
    const chat = chatOf(token, chatId);
    const answer = () => {
      const events = chat.events.slice(after);
      const ids = [...new Set(events.filter((e) => e.message_id).map((e) => e.message_id))];
      ok(res, { events, messages: ids.map((id) => chat.messages.get(id)) });
    };
    if (chat.events.length > after || !(timeout > 0)) {
      answer();
      return;
    }
    const wake = () => {
      clearTimeout(timer);
      answer();
    };
    const timer = setTimeout(() => {
      chat.waiters = chat.waiters.filter((w) => w !== wake);
      answer();
    }, timeout * 1000);
    chat.waiters.push(wake);
  });
}

// (11) Per chat, what happened in it, in order, for /waitChat: the user's updates as
// the emulator accepted them, and the bot's messages and edits as they arrived.
const chats = new Map(); // `${token}:${chat_id}` -> {events, messages: Map(id -> entry), waiters}
function chatOf(token, chatId) {
  const key = `${token}:${chatId}`;
  let chat = chats.get(key);
  if (!chat) {
    chat = { events: [], messages: new Map(), waiters: [] };
    chats.set(key, chat);
  }
  return chat;
}
function chatEvent(token, chatId, kind, stored) {
  if (chatId === undefined || chatId === null) {
    return;
  }
  const chat = chatOf(token, chatId);
  const event = { seq: chat.events.length + 1, at: Date.now(), kind };
  if (stored) {
    chat.messages.set(stored.messageId, stored);
    event.message_id = stored.messageId;
  }
  chat.events.push(event);
  const { waiters } = chat;
  chat.waiters = [];
  waiters.forEach((wake) => wake());
}
const addBotMessage = TelegramServer.prototype.addBotMessage;
TelegramServer.prototype.addBotMessage = function addBotMessageWithEvent(rawMessage, botToken) {
  const sent = addBotMessage.call(this, rawMessage, botToken);
  const stored = this.storage.botMessages[this.storage.botMessages.length - 1];
  chatEvent(botToken, rawMessage.chat_id, 'sent', stored);
  return sent;
};

// (2) Callback queries need `chat_instance`.
const formatUpdate = TelegramServer.formatUpdate;
TelegramServer.formatUpdate = function formatWithChatInstance(update) {
  const formatted = formatUpdate.call(this, update);
  if (formatted.callback_query && !formatted.callback_query.chat_instance) {
    const chat = (update.callbackQuery.message || {}).chat || {};
    formatted.callback_query.chat_instance = `ci${chat.id === undefined ? 0 : chat.id}`;
  }
  // A user message sent with `edit_of: <message_id>` is that message edited: an
  // `edited_message` update (the emulator has no edits of user messages).
  if (formatted.message && formatted.message.edit_of !== undefined) {
    const { edit_of: original, ...edited } = formatted.message;
    edited.message_id = original;
    edited.edit_date = Math.floor(Date.now() / 1000);
    return { update_id: formatted.update_id, edited_message: edited };
  }
  return formatted;
};

// Updates pushed to a webhook carry the secret token, as the Bot API does; a
// failing webhook is logged instead of crashing the emulator (unhandled rejection),
// and its update delivered again (10).
const axios = require('axios');
const http = require('http');

// (13) Each delivery on a connection of its own, so the kernel spreads them over the
// workers listening on one port as it spreads Telegram's many connections.
const ONE_CONNECTION_PER_DELIVERY = new http.Agent({ keepAlive: false });

TelegramServer.prototype.addUserUpdate = async function addUserUpdate(update) {
  const origin = update.message || (update.callbackQuery && update.callbackQuery.message) || {};
  chatEvent(update.botToken, (origin.chat || {}).id, 'user', null);
  const webhook = this.webhooks[update.botToken];
  if (webhook) {
    this.updateId += 1;
    const body = TelegramServer.formatUpdate(update);
    if (!(await postUpdate(webhook, body))) {
      redeliver(this, update.botToken, body); // (10) as Telegram does, until it is taken
    }
    return;
  }
  this.storage.userMessages.push(update);
  this.updateId += 1;
};

// One delivery to the webhook; true when the bot took it (HTTP 2xx).
async function postUpdate(webhook, body) {
  try {
    const headers = webhook.secret_token
      ? { 'X-Telegram-Bot-Api-Secret-Token': webhook.secret_token } : {};
    await axios.post(webhook.url, body, { headers, httpAgent: ONE_CONNECTION_PER_DELIVERY });
    return true;
  } catch (error) {
    process.stderr.write(`emulator: webhook ${webhook.url} failed: ${error.message}\n`);
    return false;
  }
}

// (10) An update the webhook did not take (the bot was down, or answered an
// error) is delivered again, after a growing pause, for up to REDELIVER_MS,
// as the Bot API keeps it pending; in the background, so the user is not held.
const REDELIVER_MS = 120000;
function redeliver(server, token, body) {
  const until = Date.now() + REDELIVER_MS;
  let pause = 100;
  const again = async () => {
    const webhook = server.webhooks[token];
    if (!webhook || Date.now() > until) {
      process.stderr.write(`emulator: update ${body.update_id} not delivered; given up\n`);
      return;
    }
    if (!(await postUpdate(webhook, body))) {
      pause = Math.min(pause * 2, 1000);
      setTimeout(again, pause);
    }
  };
  setTimeout(again, pause);
}

// (7) Button presses sent at once to a webhook got the same callback query id: the
// library numbers a press only after the webhook answered. Number it first.
TelegramServer.prototype.addUserCallback = async function addUserCallback(callbackQuery) {
  const callbackId = this.callbackId;
  this.callbackId += 1;
  await this.addUserUpdate({
    ...this.getCommonFields(callbackQuery.botToken),
    callbackQuery,
    callbackId,
  });
  this.emit('AddedUserCallbackQuery');
};

async function main() {
  const { port } = parseArgs(process.argv.slice(2));
  routes.unshift(installPatches);
  // storeTimeout: keep history for the whole test session (the default is 60 s).
  const server = new TelegramServer({ host: HOST, port: 1, storeTimeout: 24 * 3600 });
  server.config.port = port; // (6) the constructor turns 0 into 9000
  await server.start();
  const actual = server.server.address().port;
  // (12) Keep idle connections open longer than the bot's client keeps them (aiohttp:
  // 15 s). Node closes them after 5 s, so under load a bot reusing one just as it
  // closed got "Server disconnected" or "Connection reset" and sent its call again.
  server.server.keepAliveTimeout = 75000;
  server.server.headersTimeout = 76000;
  server.config.apiURL = `http://${HOST}:${actual}`;
  process.stdout.write(`READY http://${HOST}:${actual}\n`);

  const stop = () => {
    server.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`emulator: ${error.stack || error}\n`);
  process.exit(1);
});
