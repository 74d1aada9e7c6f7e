/** What a signed chat link token looks like: its claims, a dot, their HMAC-SHA256 (both base64url). */
export const CHAT_LINK_TOKEN = /^[A-Za-z0-9_-]{40,800}\.[A-Za-z0-9_-]{43}$/;
