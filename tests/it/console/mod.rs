//! The admin console (`/admin`): driven in a real browser.

mod browser;
