/**
 * The OMOP CDM v5.4 tables (clinical data, health system, derived elements, metadata, vocabulary and results
 * tables) with each column's type and whether it is required, as the OHDSI CommonDataModel field-level
 * specification (inst/csv/OMOP_CDMv5.4_Field_Level.csv) lists them.
 *
 * Each table is written `column type[!]`, comma-separated: `int`, `float`, `date`, `datetime`, `text` (varchar
 * MAX) or `text(n)` (varchar(n)); `!` marks a required (NOT NULL) column.
 */

/** Column lists of the OMOP CDM v5.4 tables, keyed by table name. */
export const OMOP_TABLE_SPECS: Record<string, string> = {
  person:
    'person_id int!, gender_concept_id int!, year_of_birth int!, month_of_birth int, day_of_birth int, ' +
    'birth_datetime datetime, race_concept_id int!, ethnicity_concept_id int!, location_id int, ' +
    'provider_id int, care_site_id int, person_source_value text(50), gender_source_value text(50), ' +
    'gender_source_concept_id int, race_source_value text(50), race_source_concept_id int, ' +
    'ethnicity_source_value text(50), ethnicity_source_concept_id int',
  observation_period:
    'observation_period_id int!, person_id int!, observation_period_start_date date!, ' +
    'observation_period_end_date date!, period_type_concept_id int!',
  visit_occurrence:
    'visit_occurrence_id int!, person_id int!, visit_concept_id int!, visit_start_date date!, ' +
    'visit_start_datetime datetime, visit_end_date date!, visit_end_datetime datetime, ' +
    'visit_type_concept_id int!, provider_id int, care_site_id int, visit_source_value text(50), ' +
    'visit_source_concept_id int, admitted_from_concept_id int, admitted_from_source_value text(50), ' +
    'discharged_to_concept_id int, discharged_to_source_value text(50), preceding_visit_occurrence_id int',
  visit_detail:
    'visit_detail_id int!, person_id int!, visit_detail_concept_id int!, visit_detail_start_date date!, ' +
    'visit_detail_start_datetime datetime, visit_detail_end_date date!, ' +
    'visit_detail_end_datetime datetime, visit_detail_type_concept_id int!, provider_id int, ' +
    'care_site_id int, visit_detail_source_value text(50), visit_detail_source_concept_id int, ' +
    'admitted_from_concept_id int, admitted_from_source_value text(50), ' +
    'discharged_to_source_value text(50), discharged_to_concept_id int, preceding_visit_detail_id int, ' +
    'parent_visit_detail_id int, visit_occurrence_id int!',
  condition_occurrence:
    'condition_occurrence_id int!, person_id int!, condition_concept_id int!, condition_start_date date!, ' +
    'condition_start_datetime datetime, condition_end_date date, condition_end_datetime datetime, ' +
    'condition_type_concept_id int!, condition_status_concept_id int, stop_reason text(20), ' +
    'provider_id int, visit_occurrence_id int, visit_detail_id int, condition_source_value text(50), ' +
    'condition_source_concept_id int, condition_status_source_value text(50)',
  drug_exposure:
    'drug_exposure_id int!, person_id int!, drug_concept_id int!, drug_exposure_start_date date!, ' +
    'drug_exposure_start_datetime datetime, drug_exposure_end_date date!, ' +
    'drug_exposure_end_datetime datetime, verbatim_end_date date, drug_type_concept_id int!, ' +
    'stop_reason text(20), refills int, quantity float, days_supply int, sig text, route_concept_id int, ' +
    'lot_number text(50), provider_id int, visit_occurrence_id int, visit_detail_id int, ' +
    'drug_source_value text(50), drug_source_concept_id int, route_source_value text(50), ' +
    'dose_unit_source_value text(50)',
  procedure_occurrence:
    'procedure_occurrence_id int!, person_id int!, procedure_concept_id int!, procedure_date date!, ' +
    'procedure_datetime datetime, procedure_end_date date, procedure_end_datetime datetime, ' +
    'procedure_type_concept_id int!, modifier_concept_id int, quantity int, provider_id int, ' +
    'visit_occurrence_id int, visit_detail_id int, procedure_source_value text(50), ' +
    'procedure_source_concept_id int, modifier_source_value text(50)',
  device_exposure:
    'device_exposure_id int!, person_id int!, device_concept_id int!, device_exposure_start_date date!, ' +
    'device_exposure_start_datetime datetime, device_exposure_end_date date, ' +
    'device_exposure_end_datetime datetime, device_type_concept_id int!, unique_device_id text(255), ' +
    'production_id text(255), quantity int, provider_id int, visit_occurrence_id int, visit_detail_id int, ' +
    'device_source_value text(50), device_source_concept_id int, unit_concept_id int, ' +
    'unit_source_value text(50), unit_source_concept_id int',
  measurement:
    'measurement_id int!, person_id int!, measurement_concept_id int!, measurement_date date!, ' +
    'measurement_datetime datetime, measurement_time text(10), measurement_type_concept_id int!, ' +
    'operator_concept_id int, value_as_number float, value_as_concept_id int, unit_concept_id int, ' +
    'range_low float, range_high float, provider_id int, visit_occurrence_id int, visit_detail_id int, ' +
    'measurement_source_value text(50), measurement_source_concept_id int, unit_source_value text(50), ' +
    'unit_source_concept_id int, value_source_value text(50), measurement_event_id int, ' +
    'meas_event_field_concept_id int',
  observation:
    'observation_id int!, person_id int!, observation_concept_id int!, observation_date date!, ' +
    'observation_datetime datetime, observation_type_concept_id int!, value_as_number float, ' +
    'value_as_string text(60), value_as_concept_id int, qualifier_concept_id int, unit_concept_id int, ' +
    'provider_id int, visit_occurrence_id int, visit_detail_id int, observation_source_value text(50), ' +
    'observation_source_concept_id int, unit_source_value text(50), qualifier_source_value text(50), ' +
    'value_source_value text(50), observation_event_id int, obs_event_field_concept_id int',
  death:
    'person_id int!, death_date date!, death_datetime datetime, death_type_concept_id int, ' +
    'cause_concept_id int, cause_source_value text(50), cause_source_concept_id int',
  note:
    'note_id int!, person_id int!, note_date date!, note_datetime datetime, note_type_concept_id int!, ' +
    'note_class_concept_id int!, note_title text(250), note_text text!, encoding_concept_id int!, ' +
    'language_concept_id int!, provider_id int, visit_occurrence_id int, visit_detail_id int, ' +
    'note_source_value text(50), note_event_id int, note_event_field_concept_id int',
  note_nlp:
    'note_nlp_id int!, note_id int!, section_concept_id int, snippet text(250), offset text(50), ' +
    'lexical_variant text(250)!, note_nlp_concept_id int, note_nlp_source_concept_id int, ' +
    'nlp_system text(250), nlp_date date!, nlp_datetime datetime, term_exists text(1), ' +
    'term_temporal text(50), term_modifiers text(2000)',
  specimen:
    'specimen_id int!, person_id int!, specimen_concept_id int!, specimen_type_concept_id int!, ' +
    'specimen_date date!, specimen_datetime datetime, quantity float, unit_concept_id int, ' +
    'anatomic_site_concept_id int, disease_status_concept_id int, specimen_source_id text(50), ' +
    'specimen_source_value text(50), unit_source_value text(50), anatomic_site_source_value text(50), ' +
    'disease_status_source_value text(50)',
  fact_relationship:
    'domain_concept_id_1 int!, fact_id_1 int!, domain_concept_id_2 int!, fact_id_2 int!, ' +
    'relationship_concept_id int!',
  location:
    'location_id int!, address_1 text(50), address_2 text(50), city text(50), state text(2), zip text(9), ' +
    'county text(20), location_source_value text(50), country_concept_id int, ' +
    'country_source_value text(80), latitude float, longitude float',
  care_site:
    'care_site_id int!, care_site_name text(255), place_of_service_concept_id int, location_id int, ' +
    'care_site_source_value text(50), place_of_service_source_value text(50)',
  provider:
    'provider_id int!, provider_name text(255), npi text(20), dea text(20), specialty_concept_id int, ' +
    'care_site_id int, year_of_birth int, gender_concept_id int, provider_source_value text(50), ' +
    'specialty_source_value text(50), specialty_source_concept_id int, gender_source_value text(50), ' +
    'gender_source_concept_id int',
  payer_plan_period:
    'payer_plan_period_id int!, person_id int!, payer_plan_period_start_date date!, ' +
    'payer_plan_period_end_date date!, payer_concept_id int, payer_source_value text(50), ' +
    'payer_source_concept_id int, plan_concept_id int, plan_source_value text(50), ' +
    'plan_source_concept_id int, sponsor_concept_id int, sponsor_source_value text(50), ' +
    'sponsor_source_concept_id int, family_source_value text(50), stop_reason_concept_id int, ' +
    'stop_reason_source_value text(50), stop_reason_source_concept_id int',
  cost:
    'cost_id int!, cost_event_id int!, cost_domain_id text(20)!, cost_type_concept_id int!, ' +
    'currency_concept_id int, total_charge float, total_cost float, total_paid float, paid_by_payer float, ' +
    'paid_by_patient float, paid_patient_copay float, paid_patient_coinsurance float, ' +
    'paid_patient_deductible float, paid_by_primary float, paid_ingredient_cost float, ' +
    'paid_dispensing_fee float, payer_plan_period_id int, amount_allowed float, ' +
    'revenue_code_concept_id int, revenue_code_source_value text(50), drg_concept_id int, ' +
    'drg_source_value text(3)',
  drug_era:
    'drug_era_id int!, person_id int!, drug_concept_id int!, drug_era_start_date date!, ' +
    'drug_era_end_date date!, drug_exposure_count int, gap_days int',
  dose_era:
    'dose_era_id int!, person_id int!, drug_concept_id int!, unit_concept_id int!, dose_value float!, ' +
    'dose_era_start_date date!, dose_era_end_date date!',
  condition_era:
    'condition_era_id int!, person_id int!, condition_concept_id int!, condition_era_start_date date!, ' +
    'condition_era_end_date date!, condition_occurrence_count int',
  episode:
    'episode_id int!, person_id int!, episode_concept_id int!, episode_start_date date!, ' +
    'episode_start_datetime datetime, episode_end_date date, episode_end_datetime datetime, ' +
    'episode_parent_id int, episode_number int, episode_object_concept_id int!, ' +
    'episode_type_concept_id int!, episode_source_value text(50), episode_source_concept_id int',
  episode_event: 'episode_id int!, event_id int!, episode_event_field_concept_id int!',
  metadata:
    'metadata_id int!, metadata_concept_id int!, metadata_type_concept_id int!, name text(250)!, ' +
    'value_as_string text(250), value_as_concept_id int, value_as_number float, metadata_date date, ' +
    'metadata_datetime datetime',
  cdm_source:
    'cdm_source_name text(255)!, cdm_source_abbreviation text(25)!, cdm_holder text(255)!, ' +
    'source_description text, source_documentation_reference text(255), cdm_etl_reference text(255), ' +
    'source_release_date date!, cdm_release_date date!, cdm_version text(10), cdm_version_concept_id int!, ' +
    'vocabulary_version text(20)!',
  concept:
    'concept_id int!, concept_name text(255)!, domain_id text(20)!, vocabulary_id text(20)!, ' +
    'concept_class_id text(20)!, standard_concept text(1), concept_code text(50)!, valid_start_date date!, ' +
    'valid_end_date date!, invalid_reason text(1)',
  vocabulary:
    'vocabulary_id text(20)!, vocabulary_name text(255)!, vocabulary_reference text(255), ' +
    'vocabulary_version text(255), vocabulary_concept_id int!',
  domain: 'domain_id text(20)!, domain_name text(255)!, domain_concept_id int!',
  concept_class: 'concept_class_id text(20)!, concept_class_name text(255)!, concept_class_concept_id int!',
  concept_relationship:
    'concept_id_1 int!, concept_id_2 int!, relationship_id text(20)!, valid_start_date date!, ' +
    'valid_end_date date!, invalid_reason text(1)',
  relationship:
    'relationship_id text(20)!, relationship_name text(255)!, is_hierarchical text(1)!, ' +
    'defines_ancestry text(1)!, reverse_relationship_id text(20)!, relationship_concept_id int!',
  concept_synonym: 'concept_id int!, concept_synonym_name text(1000)!, language_concept_id int!',
  concept_ancestor:
    'ancestor_concept_id int!, descendant_concept_id int!, min_levels_of_separation int!, ' +
    'max_levels_of_separation int!',
  source_to_concept_map:
    'source_code text(50)!, source_concept_id int!, source_vocabulary_id text(20)!, ' +
    'source_code_description text(255), target_concept_id int!, target_vocabulary_id text(20)!, ' +
    'valid_start_date date!, valid_end_date date!, invalid_reason text(1)',
  drug_strength:
    'drug_concept_id int!, ingredient_concept_id int!, amount_value float, amount_unit_concept_id int, ' +
    'numerator_value float, numerator_unit_concept_id int, denominator_value float, ' +
    'denominator_unit_concept_id int, box_size int, valid_start_date date!, valid_end_date date!, ' +
    'invalid_reason text(1)',
  cohort: 'cohort_definition_id int!, subject_id int!, cohort_start_date date!, cohort_end_date date!',
  cohort_definition:
    'cohort_definition_id int!, cohort_definition_name text(255)!, cohort_definition_description text, ' +
    'definition_type_concept_id int!, cohort_definition_syntax text, subject_concept_id int!, ' +
    'cohort_initiation_date date',
};
