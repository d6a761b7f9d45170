//! The parameters of a name comparison, with the defaults docs/screening.md evaluates.

/// Tunable parameters of the name score. Defaults are the ones evaluated in docs/screening.md.
#[derive(Debug, Clone, Copy)]
pub struct CompareParams {
    /// Similarity of a romanization variant (below an exact token).
    pub romanization_sim: f64,
    /// Jaro–Winkler below this counts as no similarity at all.
    pub fuzzy_floor: f64,
    /// Tokens shorter than this use `short_floor`.
    pub min_fuzzy_len: usize,
    /// Floor for short tokens.
    pub short_floor: f64,
    /// Similarity at the floor.
    pub fuzzy_base: f64,
    /// Weight of legal forms and generic words relative to a name token.
    pub form_weight: f64,
    /// Weight of titles and honorifics.
    pub title_weight: f64,
    /// A patronymic's weight relative to a name token of the same rarity: siblings share it
    /// and writers drop it (SERGEY LAVROV for SERGEY VIKTOROVICH LAVROV).
    pub patronymic_factor: f64,
    /// Compare spellings only (no romanization folding): set when both names are Hangul.
    pub strict_spelling: bool,
    /// Weight of the better-covered side in the name score (0.5 = symmetric).
    pub coverage_max: f64,
    /// Score subtracted when person-name tokens align out of order (no comma in either name).
    pub order_penalty: f64,
    /// Times the smaller share of unpaired name and number tokens when *both* names have
    /// some: a token on each side with no counterpart is a substitution (a different father's
    /// name, clan, hull number, fund vintage), evidence of a different party, whereas extra
    /// tokens on one side only are the usual middle names and qualifiers.
    pub conflict_penalty: f64,
    /// The same for numbers (hull numbers, fund vintages, trust series), which name different
    /// ships and legal persons outright: stronger than for names, where a lone unpaired token
    /// may still be transliteration noise.
    pub number_conflict_penalty: f64,
    /// Score subtracted when both names carry a kinship particle (BIN, BINT) and the
    /// alignment pairs a name before it in one with a name after it in the other: the son
    /// of one is the father of the other. Replaces the milder `order_penalty`. 0.35 puts a
    /// swap whose tokens all pair (score 1 before penalties) at 0.65, below review.
    pub lineage_penalty: f64,
    /// Pair an acronym with the long form it spells (PLA = PEOPLES LIBERATION ARMY). The
    /// matcher turns it off when either side is a person: initials that spell a word (WAY =
    /// WILLIAM AMURI YAKUTUMBA) are not a name.
    pub acronyms: bool,
}

impl Default for CompareParams {
    fn default() -> Self {
        CompareParams {
            romanization_sim: 0.93,
            fuzzy_floor: 0.70,
            min_fuzzy_len: 5,
            short_floor: 0.82,
            fuzzy_base: 0.6,
            form_weight: 0.15,
            title_weight: 0.05,
            patronymic_factor: 0.5,
            order_penalty: 0.08,
            conflict_penalty: 0.5,
            number_conflict_penalty: 1.0,
            lineage_penalty: 0.35,
            acronyms: true,
            coverage_max: 0.6,
            strict_spelling: false,
        }
    }
}
