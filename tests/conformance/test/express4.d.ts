// `express4` is Express 4 installed under an alias; its API is typed like Express 5's for the
// parts the suite uses (Router, middleware, res.status/set/json).
declare module 'express4' {
  import express from 'express'
  export default express
}
