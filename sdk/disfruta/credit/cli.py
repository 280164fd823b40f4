"""``disfruta credit ...``: rebuild the scorecard artifact and report its held-out quality."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import click


@click.group(name="credit")
def credit_group() -> None:
    """The credit scorecard (trained on the UCI German Credit applicants)."""


@credit_group.command()
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the artifact [default: the package's artifacts/scorecard-v1.json].")
@click.option("--test-size", type=click.FloatRange(0.1, 0.5), default=0.3, show_default=True,
              help="Share of applicants held out for measuring.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the split and the CV folds.")
@click.option("--cutoff-pd", type=click.FloatRange(0.05, 0.95), default=0.5, show_default=True,
              help="Decline applicants whose probability of default is above this.")
@click.option("--repeats", type=click.IntRange(0, 200), default=20, show_default=True,
              help="More stratified splits (seeds 1000, 1001, ...) the recipe is measured on for the model card.")
@click.option("--pd-table", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the annual PD of each grade that the SDK reads [default: the package's "
                   "data/default_probability.json, or default_probability.json beside --output].")
def train(output: Path | None, test_size: float, seed: int, cutoff_pd: float, repeats: int,
          pd_table: Path | None) -> None:
    """Train the scorecard, print its held-out AUC and Gini and its model card (AUC over repeated splits,
    calibration, fairness), and write the versioned artifact and the PD table."""
    from disfruta.credit.grading import default_probability_path, write_default_probability_table
    from disfruta.credit.scorecard import default_artifact_path
    from disfruta.credit.train import TrainingConfig, train_scorecard

    with warnings.catch_warnings():  # the libraries' deprecation chatter is not the user's business
        warnings.simplefilter("ignore", category=FutureWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        card = train_scorecard(TrainingConfig(test_size=test_size, seed=seed, cutoff_pd=cutoff_pd, repeats=repeats))
    target = output or default_artifact_path()
    card.save(target)
    table = write_default_probability_table(
        pd_table or (output.with_name("default_probability.json") if output else default_probability_path()), card)
    m, t = card.metrics, card.training
    click.echo(f"model      {card.version}")
    click.echo(f"data       {t['data']}: {t['n_train']} train / {t['n_test']} held out (seed {t['seed']})")
    click.echo(f"features   {len(t['selected_features'])} kept (IV >= {t['min_iv']}), "
               f"dropped: {', '.join(t['dropped_features']) or '-'}; not scored: {', '.join(t['not_scored'])}")
    click.echo(f"held-out   AUC {m['auc_test']:.4f}   Gini {m['gini_test']:.4f}   KS {m['ks_test']:.4f}")
    click.echo(f"train      AUC {m['auc_train']:.4f}")
    click.echo(f"cut-off    score {card.cutoff_score} (P(bad) = {cutoff_pd}); held-out decline rate "
               f"{m['decline_rate_test']:.1%}")
    for letter, row in m["bad_rate_by_letter_test"].items():
        click.echo(f"  {letter:<9} n={row['n']:<4} bad rate {row['bad_rate']:.1%}")
    r = t["recalibration"]
    click.echo(f"P(default) recalibrated on the training set: ln-odds(bad) = {r['a']:+.4f} + {r['b']:.4f} x "
               "the model's own")
    if "repeated_splits" in m:
        _echo_model_card(m)
    click.echo(f"wrote      {target}")
    click.echo(f"wrote      {table} (annual PD by grade, read by the SDK's expected losses)")


def _echo_model_card(m: dict[str, Any]) -> None:
    rs, cal, fair = m["repeated_splits"], m["calibration"], m["fairness"]
    click.echo(f"repeated   {rs['n_splits']} stratified {1 - rs['test_size']:.0%}/{rs['test_size']:.0%} splits (seeds "
               f"{rs['seeds'][0]}-{rs['seeds'][-1]}), same recipe: held-out AUC {rs['auc_mean']:.4f} "
               f"± {rs['auc_sd']:.4f} (sd), min {rs['auc_min']:.4f}, max {rs['auc_max']:.4f}; shipped split "
               f"{m['auc_test']:.4f}")
    click.echo(f"calibration, pooled over {cal['pooled_over']}: Brier {cal['brier_before']:.4f} before "
               f"recalibration, {cal['brier_after']:.4f} after; calibration slope {cal['slope_before']:.3f} before, "
               f"{cal['slope_after']:.3f} after (1 = calibrated)")
    click.echo("  grade     n      bad rate   P(default) before   after")
    for letter, row in cal["by_letter"].items():
        click.echo(f"  {letter:<9} {row['n']:<6} {row['bad_rate']:>7.1%}   {row['pd_before']:>17.1%}  "
                   f"{row['pd_after']:>6.1%}")
    click.echo(f"fairness, pooled over {fair['pooled_over']} (sex and age are never model inputs)")
    click.echo("  group     n      approved   bad rate   bad rate of approved")
    for attribute in ("sex", "age_band"):
        for group, row in fair[attribute]["groups"].items():
            click.echo(f"  {group:<9} {row['n']:<6} {row['approval_rate']:>7.1%}   {row['bad_rate']:>8.1%}   "
                       f"{row['bad_rate_approved']:>8.1%}")
        click.echo(f"  {attribute}: four-fifths ratio (lowest approval rate / highest) "
                   f"{fair[attribute]['four_fifths_ratio']:.3f}")
