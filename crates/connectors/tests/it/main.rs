//! Integration tests of alloy-connectors, in one binary so that it links once.

mod catalog;
mod directory;
mod executor;
mod loading;
mod properties;
mod support;
mod validation;
