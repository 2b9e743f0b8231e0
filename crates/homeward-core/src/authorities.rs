//! The local authorities with children's services duties that a child can
//! belong to or live in: every upper-tier authority in England (the
//! national baseline covers any of them without a local protocol) and the
//! principal councils of Wales (children placed across the border). Ids are
//! the names in lower case with hyphens, as the protocol files use them.
//!
//! A child whose authority is not here (and that no loaded protocol names)
//! is refused with the field named: a misspelt authority would otherwise
//! fall to the national baseline silently and reach nobody.

/// England: 33 London boroughs (with the City), 36 metropolitan districts,
/// 21 counties and 63 unitary authorities, as constituted from April 2023.
pub const ENGLAND: &[&str] = &[
    // London
    "barking-and-dagenham",
    "barnet",
    "bexley",
    "brent",
    "bromley",
    "camden",
    "city-of-london",
    "croydon",
    "ealing",
    "enfield",
    "greenwich",
    "hackney",
    "hammersmith-and-fulham",
    "haringey",
    "harrow",
    "havering",
    "hillingdon",
    "hounslow",
    "islington",
    "kensington-and-chelsea",
    "kingston-upon-thames",
    "lambeth",
    "lewisham",
    "merton",
    "newham",
    "redbridge",
    "richmond-upon-thames",
    "southwark",
    "sutton",
    "tower-hamlets",
    "waltham-forest",
    "wandsworth",
    "westminster",
    // Metropolitan districts
    "bolton",
    "bury",
    "manchester",
    "oldham",
    "rochdale",
    "salford",
    "stockport",
    "tameside",
    "trafford",
    "wigan",
    "knowsley",
    "liverpool",
    "sefton",
    "st-helens",
    "wirral",
    "barnsley",
    "doncaster",
    "rotherham",
    "sheffield",
    "gateshead",
    "newcastle-upon-tyne",
    "north-tyneside",
    "south-tyneside",
    "sunderland",
    "birmingham",
    "coventry",
    "dudley",
    "sandwell",
    "solihull",
    "walsall",
    "wolverhampton",
    "bradford",
    "calderdale",
    "kirklees",
    "leeds",
    "wakefield",
    // Counties
    "cambridgeshire",
    "derbyshire",
    "devon",
    "east-sussex",
    "essex",
    "gloucestershire",
    "hampshire",
    "hertfordshire",
    "kent",
    "lancashire",
    "leicestershire",
    "lincolnshire",
    "norfolk",
    "nottinghamshire",
    "oxfordshire",
    "staffordshire",
    "suffolk",
    "surrey",
    "warwickshire",
    "west-sussex",
    "worcestershire",
    // Unitary authorities
    "bath-and-north-east-somerset",
    "bedford",
    "blackburn-with-darwen",
    "blackpool",
    "bournemouth-christchurch-and-poole",
    "bracknell-forest",
    "brighton-and-hove",
    "bristol",
    "buckinghamshire",
    "central-bedfordshire",
    "cheshire-east",
    "cheshire-west-and-chester",
    "cornwall",
    "cumberland",
    "darlington",
    "derby",
    "dorset",
    "durham",
    "east-riding-of-yorkshire",
    "halton",
    "hartlepool",
    "herefordshire",
    "isle-of-wight",
    "isles-of-scilly",
    "kingston-upon-hull",
    "leicester",
    "luton",
    "medway",
    "middlesbrough",
    "milton-keynes",
    "north-east-lincolnshire",
    "north-lincolnshire",
    "north-northamptonshire",
    "north-somerset",
    "north-yorkshire",
    "northumberland",
    "nottingham",
    "peterborough",
    "plymouth",
    "portsmouth",
    "reading",
    "redcar-and-cleveland",
    "rutland",
    "shropshire",
    "slough",
    "somerset",
    "south-gloucestershire",
    "southampton",
    "southend-on-sea",
    "stockton-on-tees",
    "stoke-on-trent",
    "swindon",
    "telford-and-wrekin",
    "thurrock",
    "torbay",
    "warrington",
    "west-berkshire",
    "west-northamptonshire",
    "westmorland-and-furness",
    "wiltshire",
    "windsor-and-maidenhead",
    "wokingham",
    "york",
];

/// Wales: the 22 principal councils.
pub const WALES: &[&str] = &[
    "blaenau-gwent",
    "bridgend",
    "caerphilly",
    "cardiff",
    "carmarthenshire",
    "ceredigion",
    "conwy",
    "denbighshire",
    "flintshire",
    "gwynedd",
    "isle-of-anglesey",
    "merthyr-tydfil",
    "monmouthshire",
    "neath-port-talbot",
    "newport",
    "pembrokeshire",
    "powys",
    "rhondda-cynon-taf",
    "swansea",
    "torfaen",
    "vale-of-glamorgan",
    "wrexham",
];

/// Whether `id` is an authority of England or Wales.
pub fn is_known(id: &str) -> bool {
    ENGLAND.contains(&id) || WALES.contains(&id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_authority_once_and_the_counts_of_each_nation() {
        assert_eq!(ENGLAND.len(), 153);
        assert_eq!(WALES.len(), 22);
        let mut all: Vec<&str> = ENGLAND.iter().chain(WALES).copied().collect();
        all.sort_unstable();
        let before = all.len();
        all.dedup();
        assert_eq!(all.len(), before, "an authority is listed twice");
        assert!(all.iter().all(|a| crate::vocab::check_id(a, "authority id").is_ok()));
    }

    #[test]
    fn the_partnerships_authorities_are_known() {
        for a in ["bath-and-north-east-somerset", "blackburn-with-darwen", "blackpool", "lancashire", "newham", "derby", "derbyshire", "bolton"] {
            assert!(is_known(a), "{a}");
        }
        assert!(!is_known("narnia"));
    }
}
