//! Integration tests of alloy-connectors, in one binary so that it links once.

mod catalog;
mod executor;
mod loading;
mod support;
mod validation;
