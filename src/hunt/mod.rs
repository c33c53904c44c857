//! Hunting beyond the rules: the instruments a hunter uses to find what no
//! rule names — stacking (rarest values first, [`stack`]), first seen and
//! baselines ([`baseline`]), patterns of the loaded messages
//! ([`patterns`]), saved hypotheses with built-in ones ([`notebook`]) and
//! Sigma drafts from any result ([`draft`]). All work over the event
//! [`Store`](crate::store::Store) and take the store query as their filter.

pub mod baseline;
pub mod draft;
pub mod notebook;
pub mod patterns;
pub mod stack;
