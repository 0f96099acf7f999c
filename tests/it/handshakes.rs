//! Providers' setup requests that hookgate answers itself (Zoom URL validation, Dropbox and
//! Okta challenges).
