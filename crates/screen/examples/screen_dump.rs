//! Developer aid: screen every listed primary name (every other one with a letter dropped, as
//! in screen_perf) and print the top hits with scores, one line per query, to diff the
//! matcher's results across changes.
//! `screen_dump UN_XML OFAC_SDN_CSV [EVERY_NTH]`
use embargo_screen::{ofac, un, Matcher, Query, Thresholds};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [un_path, ofac_path, ..] = args.as_slice() else {
        return Err("usage: screen_dump UN_XML OFAC_SDN_CSV [EVERY_NTH]".into());
    };
    let every: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let mut entities = un::read_file(un_path.as_ref())?.entities;
    entities.extend(ofac::read_files(&ofac::OfacFiles::beside(ofac_path.as_ref()))?.entities);
    let matcher = Matcher::new(entities);
    let th = Thresholds::default();
    for (i, e) in matcher.entities().iter().enumerate().step_by(every.max(1)) {
        let mut name = e.caption().to_string();
        if i % 2 == 1 && name.len() > 6 {
            let cut = name.len() / 2;
            if name.is_char_boundary(cut) && name.is_char_boundary(cut + 1) {
                name.remove(cut);
            }
        }
        let s = matcher.screen(
            &Query {
                name: name.clone(),
                ..Default::default()
            },
            &th,
        )?;
        let hits: Vec<String> = s
            .hits
            .iter()
            .map(|h| format!("{}={:.6}[{}]", h.id, h.score, h.explanation.matched_name))
            .collect();
        println!("{name}\t{}", hits.join(" "));
    }
    Ok(())
}
