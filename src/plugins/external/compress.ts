import fp from 'fastify-plugin'
import compress from '@fastify/compress'

/**
 * Large answers only (the admin table, htmx itself): below the threshold compressing costs more CPU than
 * the bytes it saves take to send, and most pages and fragments here are a few kilobytes. Brotli where
 * the browser takes it, else gzip. Pages carry a fresh CSRF token on every answer (@fastify/csrf salts
 * each one), so compressing them beside reflected input gives BREACH no constant secret to recover.
 */
export default fp(async function compressPlugin (app) {
  // Answers only: no browser sends compressed forms, so request bodies are not inflated (which would add
  // a preParsing hook to every route, votes included, and a way to send a small body that grows).
  await app.register(compress, { globalCompression: true, globalDecompression: false, threshold: 8 * 1024, encodings: ['br', 'gzip'] })
}, { name: 'compress' })
