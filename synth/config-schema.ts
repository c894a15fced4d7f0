/**
 * JSON Schema of the generator configuration (draft-07, checked by ajv). Every object is closed
 * (`additionalProperties: false`), so a misspelt key is an error, not a silently ignored setting.
 * @internal
 */

const rate = { type: 'number', minimum: 0, maximum: 1 } as const;
const positiveInt = { type: 'integer', minimum: 1 } as const;

function closed(properties: Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties };
}

export function configSchema(names: {
  classes: readonly string[];
  corruptions: readonly string[];
  suites: readonly string[];
}): Record<string, unknown> {
  return closed({
    image_size: { type: 'integer', minimum: 32, maximum: 512 },
    jpeg_quality: { type: 'integer', minimum: 50, maximum: 100 },
    counts: closed({ train_per_class: positiveInt, val_per_class: positiveInt, suite_per_class: positiveInt }),
    rho: rate,
    object: closed({
      scale_min: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      scale_max: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      rotation_max_deg: { type: 'number', minimum: 0, maximum: 180 },
      flip_probability: rate,
    }),
    icons: closed({ heldout_sets: { type: 'array', items: { type: 'string' }, uniqueItems: true } }),
    backgrounds: closed({
      pools: closed(
        Object.fromEntries(
          names.classes.map((c) => [c, { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' } }]),
        ),
      ),
      min_pool_size: positiveInt,
      unseen_per_pool: positiveInt,
      crop_min: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      crop_max: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      flip_probability: rate,
    }),
    annotator: closed({
      annotators_per_image: { type: 'array', minItems: 1, items: rate },
      no_byproduct_rate: rate,
      selected_rate: rate,
      extra_toggle_rate: rate,
      click: closed({
        inside_rate_centre_in_box: rate,
        inside_rate_centre_outside_box: rate,
        size_slope: { type: 'number', minimum: -10, maximum: 10 },
        reference_area: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        worker_bias_sd: { type: 'number', minimum: 0, maximum: 1 },
        worker_spread_log_sd: { type: 'number', minimum: 0, maximum: 3 },
        worker_skill_sd: { type: 'number', minimum: 0, maximum: 5 },
        far_off_fraction: rate,
        bias: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number', minimum: -1, maximum: 1 } },
        spread: { type: 'number', exclusiveMinimum: 0, maximum: 2 },
        tail_scale: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        tail_angle_deg: { type: 'number', minimum: -360, maximum: 360 },
        tail_angle_sd_deg: { type: 'number', minimum: 0, maximum: 360 },
      }),
      display_size: positiveInt,
      pages_per_hit: positiveInt,
      images_per_page: positiveInt,
      worker_pool: positiveInt,
      campaign_start: { type: 'integer', minimum: 0 },
    }),
    suites: closed({
      enabled: { type: 'array', uniqueItems: true, items: { enum: [...names.suites] } },
      imagenet_c: closed({
        corruptions: { type: 'array', uniqueItems: true, items: { enum: [...names.corruptions] } },
        severities: { type: 'integer', minimum: 1, maximum: 5 },
      }),
      si_score: closed({
        area_values: { type: 'array', minItems: 1, items: { type: 'number', exclusiveMinimum: 0, maximum: 1 } },
        rotation_values: { type: 'array', minItems: 1, items: { type: 'number', minimum: -360, maximum: 360 } },
        rotation_areas: { type: 'array', minItems: 1, items: { type: 'number', exclusiveMinimum: 0, maximum: 1 } },
        location_area: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        location_steps: { type: 'integer', minimum: 2, maximum: 101 },
      }),
    }),
    contact_sheet_images: { type: 'integer', minimum: 0, maximum: 400 },
  });
}
