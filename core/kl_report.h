/*
 * kl_report.h -- `klaster report`: one self-contained HTML page from a run.
 *
 * Reads a run folder (OUT/runs/<id>/ or OUT/latest: the steps' CSV outputs
 * and manifest.json) and writes a page a minister can open from a USB
 * stick: no script, no link, no font or image from anywhere -- every chart
 * is inline SVG drawn by kl_svg.  Sections: a headline table per region for
 * the latest year with the change since the year before; per mission
 * indicator a bar chart across regions and small-multiple line charts per
 * cluster; the cluster efficiency ranking with each cluster's stage and
 * type; data quality (the findings of `klaster check`); the run's
 * provenance; and every indicator's definition, taken from the plugins' and
 * scripts' own descriptors (klaster.h) -- the report holds no second copy.
 * A step whose output is absent leaves its part out with a note.
 */
#ifndef KL_REPORT_H
#define KL_REPORT_H

#include <stddef.h>

#include "kl_error.h"
#include "kl_pipeline.h"
#include "kl_plugin.h"
#include "kl_schema.h"

typedef struct kl_report_opts {
    const char *run_dir;      /* the run folder */
    /* The pipeline of the run (data folder, column maps, plugin and script
     * paths); NULL: the pipeline file the manifest names is read. */
    const kl_pipeline *pipeline;
    const char *out_path;     /* the HTML file, written atomically */
    /* The steps' descriptors; NULL: loaded from plugin_path and script_path
     * (each may be NULL), else from the pipeline's. */
    const kl_registry *reg;
    const char *plugin_path;
    const char *script_path;
    /* The datasets' folder for the data-quality section; NULL: the
     * pipeline's data folder (section left out with a note when there is
     * no pipeline to read). */
    const char *data_dir;
    const kl_colmap *maps;
    size_t nmaps;
} kl_report_opts;

/* Writes the report.  KL_ERR_NOINPUT when run_dir has no manifest.json,
 * KL_ERR_CANTCREAT when out_path cannot be written. */
int kl_report_write(const kl_report_opts *o, kl_error *err);

#endif /* KL_REPORT_H */
