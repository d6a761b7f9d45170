//! Name primitives: from a name as typed or listed to a score against another name. This
//! crate knows names only: nothing of lists, entities, schemas, countries of an entry or the
//! regime.
//!
//! The modules form layers; each imports only modules of the layers above it:
//!
//! 1. [`display`], [`korean`], [`distance`], [`params`], [`token`]: reading a name as it
//!    shows, Hangul syllables and Korean surnames, string distances, the comparison's
//!    parameters, the token type.
//! 2. [`name_countries`], [`institutions`], [`wade_giles`], [`nickname`]: tables over tokens
//!    (country words, the Korean institutional glossary, Wade–Giles ↔ pinyin, nicknames).
//! 3. [`normalize`]: a name into its forms and tokens.
//! 4. [`piece`], [`acronym`]: a token prepared for comparison and the one definition of token
//!    similarity; acronyms and the runs they spell.
//! 5. [`align`]: pairing the tokens of two names and the name score.
//! 6. [`compare`] (the explaining comparison) and [`index`] (the fast path over many names:
//!    vocabulary ids, inverted index, memo).

pub mod acronym;
pub mod align;
pub mod compare;
pub mod display;
pub mod distance;
pub mod index;
pub mod institutions;
pub mod korean;
pub mod name_countries;
pub mod nickname;
pub mod normalize;
pub mod params;
pub mod piece;
pub mod token;
pub mod wade_giles;
