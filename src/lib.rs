//! dealsim: a Monte Carlo simulator of deal payoffs.
//!
//! An investor holds an equity stake in a company, receives a capped revenue share from
//! it, sells the company's models and compute on its own cloud, and a rival channel starts
//! selling the company's models too. The pipeline is
//! `scenario` (parse + validate) → `model` (one path) → `engine` (many paths, ordered
//! aggregation into a [`summary::RunSummary`]) → `report` (CSV, charts) → `cli`.

pub mod app;
pub mod attribution;
pub mod cli;
pub mod compare;
pub mod date;
pub mod engine;
pub mod escape;
pub mod interrupt;
pub mod model;
pub mod report;
pub mod resources;
pub mod risk;
pub mod scenario;
pub mod sensitivity;
pub mod summary;
pub mod sweep;
