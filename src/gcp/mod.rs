//! The only code that talks to Google: client, credentials, error mapping, read-modify-write loop.
