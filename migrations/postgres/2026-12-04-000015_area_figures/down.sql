DROP TABLE area_figures;
