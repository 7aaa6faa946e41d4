//! `trust set|import-gpg|explain`.

use anyhow::Result;

use super::{read_input, Verdict};
use crate::cli::TrustCommand;
use crate::keys::home::Home;
use crate::keys::keyring::Keyring;
use crate::trust::owner_trust::{parse_gpg_ownertrust, OwnerTrust};
use crate::trust::TrustLevel;

pub(crate) fn run(home: &Home, cmd: TrustCommand) -> Result<Verdict> {
    match cmd {
        TrustCommand::Set { fingerprint, level } => set(home, &fingerprint, level),
        TrustCommand::ImportGpg { file } => import_gpg(home, &file),
        TrustCommand::Explain { fingerprint, json } => explain(home, &fingerprint, json),
    }
}

fn set(home: &Home, query: &str, level: TrustLevel) -> Result<Verdict> {
    let lock = home.lock()?;
    let keyring = Keyring::load(home)?;
    let fpr = keyring.lookup(query)?.fingerprint();
    let mut trust = OwnerTrust::load(home)?;
    trust.set(fpr.clone(), level);
    trust.save(home, &lock)?;
    outln!("owner trust of {} set to {level}", fpr.to_hex());
    Ok(Verdict::Pass)
}

fn import_gpg(home: &Home, file: &std::path::Path) -> Result<Verdict> {
    let text = String::from_utf8(read_input(file)?)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", file.display()))?;
    let entries =
        parse_gpg_ownertrust(&text).map_err(|e| anyhow::anyhow!("{}: {e:#}", file.display()))?;
    let lock = home.lock()?;
    let mut trust = OwnerTrust::load(home)?;
    let count = entries.len();
    for (fpr, level) in entries {
        // Keys not (yet) in the keyring keep their owner trust for when they arrive.
        trust.set(fpr, level);
    }
    trust.save(home, &lock)?;
    outln!("imported owner trust for {count} key(s)");
    Ok(Verdict::Pass)
}

fn explain(home: &Home, query: &str, json: bool) -> Result<Verdict> {
    let (keyring, wot) = super::load_web_of_trust(home)?;
    let cert = keyring.lookup(query)?;
    let explanation =
        crate::trust::explain::explain(&keyring, &wot, cert, std::time::SystemTime::now());
    if json {
        outln!(
            "{}",
            crate::json::to_string(&crate::json::ExplainJson::new(&explanation))
        );
    } else {
        out!("{}", explanation.to_human());
    }
    Ok(Verdict::Pass)
}
