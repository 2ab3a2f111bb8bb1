// An independent WeChat-side client: signs and (in compat/safe mode) encrypts each sample exactly as
// the WeChat server does, using node-webot's wechat-crypto, posts it to CaseLink, then verifies the
// reply's signature and decrypts it. Prints one JSON object per sample and mode.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const http = require('http');
const WXBizMsgCrypt = require('wechat-crypto');

const { BOT_URL, TOKEN, AES_KEY, APPID, SAMPLES } = process.env;
const MODES = (process.env.MODES || 'plain,compat,safe').split(',');
const cryptor = new WXBizMsgCrypt(TOKEN, AES_KEY, APPID);
let serial = 0;

function sha1(parts) {
  return crypto.createHash('sha1').update(parts.sort().join('')).digest('hex');
}

function field(xml, name) {
  const m = xml.match(new RegExp('<' + name + '>(?:<!\\[CDATA\\[)?([\\s\\S]*?)(?:\\]\\]>)?</' + name + '>'));
  return m ? m[1] : null;
}

function personalise(xml, mode) {
  serial += 1;
  const user = 'o-node-' + mode + '-' + process.pid + '-' + serial;
  const now = Math.floor(Date.now() / 1000);
  return xml
    .replace(/<FromUserName><!\[CDATA\[[^\]]*\]\]><\/FromUserName>/, '<FromUserName><![CDATA[' + user + ']]></FromUserName>')
    .replace(/<CreateTime>\d+<\/CreateTime>/, '<CreateTime>' + now + '</CreateTime>')
    .replace(/<MsgId>\d+<\/MsgId>/, '<MsgId>' + (now * 1000 + serial) + '</MsgId>');
}

function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'text/xml' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function send(name, raw, mode) {
  const xml = personalise(raw, mode);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  const query = new URLSearchParams({ timestamp, nonce, signature: sha1([TOKEN, timestamp, nonce]), openid: field(xml, 'FromUserName') });
  let body = xml;
  if (mode !== 'plain') {
    const encrypted = cryptor.encrypt(xml);
    query.set('encrypt_type', 'aes');
    query.set('msg_signature', cryptor.getSignature(timestamp, nonce, encrypted));
    const envelope = '<Encrypt><![CDATA[' + encrypted + ']]></Encrypt>';
    body = mode === 'safe'
      ? '<xml><ToUserName><![CDATA[' + field(xml, 'ToUserName') + ']]></ToUserName>' + envelope + '</xml>'
      : xml.replace('</xml>', envelope + '</xml>');
  }
  const res = await post(BOT_URL + '?' + query.toString(), body);
  const out = { sample: name, mode, status: res.status, user: field(xml, 'FromUserName'), success: res.body.trim() === 'success' || res.body.trim() === '' };
  if (out.success || res.status !== 200) return out;
  let reply = res.body;
  if (mode !== 'plain') {
    const enc = field(reply, 'Encrypt');
    out.verified = enc !== null && cryptor.getSignature(field(reply, 'TimeStamp'), field(reply, 'Nonce'), enc) === field(reply, 'MsgSignature');
    const plain = cryptor.decrypt(enc);
    out.appid = plain.id;
    reply = plain.message;
  }
  out.msgtype = field(reply, 'MsgType');
  out.to = field(reply, 'ToUserName');
  out.content = field(reply, 'Content') || field(reply, 'Title');
  return out;
}

(async () => {
  const files = fs.readdirSync(SAMPLES).filter((f) => f.endsWith('.xml')).sort();
  for (const mode of MODES) {
    for (const f of files) {
      const raw = fs.readFileSync(path.join(SAMPLES, f), 'utf8');
      console.log(JSON.stringify(await send(f, raw, mode)));
    }
  }
})().catch((err) => { console.error(err); process.exit(1); });
